/**
 * The callback's query string alone (packages/cdk/functions/runtime/callback-query.ts): bounded, each parameter at
 * most once, printable ASCII only; anything else is refused as a whole.
 */
import { parseCallbackQuery } from '@token-vault/cdk/functions/runtime/callback-query';

const parse = (rawQueryString: string) => parseCallbackQuery({ rawQueryString });

describe('parseCallbackQuery', () => {
  it('reads code, state, iss and error, and ignores other parameters', () => {
    expect(parse('code=c1&state=s1&iss=https%3A%2F%2Fissuer.test&session_state=x')).toEqual({
      code: 'c1',
      state: 's1',
      iss: 'https://issuer.test',
    });
    expect(parse('error=access_denied&state=s1')).toEqual({ error: 'access_denied', state: 's1' });
    expect(parse('')).toEqual({});
  });

  it('refuses a repeated parameter (API Gateway would join the values)', () => {
    expect(parse('state=a&state=b&code=c')).toBeUndefined();
  });

  it('refuses empty, non-printable and over-long values', () => {
    expect(parse('state=&code=c')).toBeUndefined();
    expect(parse('state=a%20b')).toBeUndefined();
    expect(parse('state=%C3%A9')).toBeUndefined();
    expect(parse(`code=${'c'.repeat(2048)}`)).toEqual({ code: 'c'.repeat(2048) });
    expect(parse(`code=${'c'.repeat(2049)}`)).toBeUndefined();
  });

  it('refuses an over-long query string before reading it', () => {
    expect(parse(`state=s&pad=${'x'.repeat(8192)}`)).toBeUndefined();
  });

  it('treats a missing query string as empty', () => {
    expect(parseCallbackQuery({} as { rawQueryString: string })).toEqual({});
  });
});
