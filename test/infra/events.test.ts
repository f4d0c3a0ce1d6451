/**
 * The lifecycle events' resources in the construct: a bus made (or the given one used, then none made), the retry
 * queue with its dead-letter queue, and grants that let exactly the publishing functions put on exactly that bus
 * and only the sweep receive from the retry queue.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { ENV } from '@token-vault/cdk/lib/definitions';
import { TokenVault } from '@token-vault/cdk';
import { FUNCTION_ACCESS, FUNCTION_KEYS } from '@token-vault/cdk/lib/definitions/access';
import { actionsOf, flatten, resourcesOf, type Statement } from './support/synth';

function build(eventBus?: (stack: Stack) => events.IEventBus): { vault: TokenVault; template: Template; stack: Stack } {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vault = new TokenVault(stack, 'Vault', {
    applications: [{ clientId: 'client' }],
    name: 'ev',
    ...(eventBus ? { eventBus: eventBus(stack) } : {}),
  });
  return { vault, template: Template.fromStack(stack), stack };
}

describe('default: a bus of its own', () => {
  const { vault, template } = build();

  it('creates the bus `<name>-connection-events`, the retry queue and its DLQ (encrypted, TLS only)', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'ev-connection-events' });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    expect(vault.eventBus).toBe(vault.connectionEvents.eventBus);
  });

  it('sets the bus, retry queue and vault name for exactly the publishing functions', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
    );
    const publishers = functions.filter((v) => ENV.EVENT_BUS in v);
    expect(publishers).toHaveLength(FUNCTION_KEYS.filter((k) => FUNCTION_ACCESS[k].publishesEvents).length);
    for (const v of publishers)
      expect(v).toMatchObject({ [ENV.EVENT_RETRY_QUEUE]: expect.anything(), [ENV.VAULT_NAME]: 'ev' });
  });

  it('publishers may put events on exactly the vault bus; only the sweep role may receive from the retry queue', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    const puts = all.filter((s) => actionsOf(s).includes('events:PutEvents'));
    expect(puts.length).toBe(FUNCTION_KEYS.filter((k) => FUNCTION_ACCESS[k].publishesEvents).length);
    for (const s of puts)
      expect(resourcesOf(s).map(flatten)).toEqual([expect.stringMatching(/ConnectionEventsBus.*Arn/)]);
    // Receivers: the sweep on the event retry queue, and the refresh worker on its own work queue only.
    const receives = all.filter((s) => actionsOf(s).includes('sqs:ReceiveMessage'));
    const fromRetryQueue = receives.filter((s) =>
      resourcesOf(s)
        .map(flatten)
        .some((r) => /ConnectionEventsRetryQueue/.test(r)),
    );
    expect(fromRetryQueue).toHaveLength(FUNCTION_KEYS.filter((k) => FUNCTION_ACCESS[k].drainsEventRetries).length);
    expect(FUNCTION_KEYS.filter((k) => FUNCTION_ACCESS[k].drainsEventRetries)).toEqual(['sweep']);
    for (const s of fromRetryQueue)
      expect(resourcesOf(s).map(flatten)).toEqual([expect.stringMatching(/ConnectionEventsRetryQueue.*Arn/)]);
    for (const s of receives.filter((x) => !fromRetryQueue.includes(x))) {
      expect(resourcesOf(s).map(flatten)).toEqual([expect.stringMatching(/RefreshQueue.*Arn/)]);
    }
  });
});

describe('a bus given with `eventBus`', () => {
  const given = 'arn:aws:events:eu-west-1:210987654321:event-bus/shared';
  const { vault, template } = build((stack) => events.EventBus.fromEventBusArn(stack, 'Shared', given));

  it('creates no bus, exposes the given one and grants PutEvents on it', () => {
    template.resourceCountIs('AWS::Events::EventBus', 0);
    expect(vault.eventBus.eventBusArn).toBe(given);
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    for (const s of all.filter((x) => actionsOf(x).includes('events:PutEvents')))
      expect(resourcesOf(s)).toEqual([given]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.EVENT_BUS]: given }) },
    });
  });
});
