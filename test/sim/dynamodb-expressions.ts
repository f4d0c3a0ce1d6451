/**
 * DynamoDB's expression languages (condition/filter/key-condition, update, projection): a tokenizer and a small
 * recursive-descent parser producing plain ASTs. Placeholders stay unresolved in the AST, so a parse depends on
 * the expression text alone and is cached by it: the store sends the same few expressions thousands of times.
 * Syntax and reserved-word errors are found here (ValidationException, as DynamoDB answers before reading
 * anything); everything that depends on the request's names and values is checked in dynamodb-evaluate.ts.
 *
 * Precedence, as DynamoDB documents it: comparisons, IN, BETWEEN, functions bind tighter than NOT, NOT tighter
 * than AND, AND tighter than OR. Keywords are case-insensitive, function names are case-sensitive.
 */
import type { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { validation } from './dynamodb-errors';
import { RESERVED_WORDS } from './dynamodb-reserved-words';

export type PathElement =
  { kind: 'name'; name: string } | { kind: 'ref'; ref: string } | { kind: 'index'; index: number };
export type Path = readonly PathElement[];
export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Operand =
  | { kind: 'path'; path: Path }
  | { kind: 'value'; ref: string }
  | { kind: 'size'; path: Path }
  | { kind: 'if_not_exists'; path: Path; fallback: Operand }
  | { kind: 'list_append'; left: Operand; right: Operand };

export type Condition = (
  | { kind: 'compare'; op: Comparator; left: Operand; right: Operand }
  | { kind: 'between'; subject: Operand; low: Operand; high: Operand }
  | { kind: 'in'; subject: Operand; candidates: Operand[] }
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'attribute_exists' | 'attribute_not_exists'; path: Path }
  | { kind: 'attribute_type'; path: Path; type: Operand }
  | { kind: 'begins_with'; subject: Operand; prefix: Operand }
  | { kind: 'contains'; subject: Operand; operand: Operand }
) & { parenthesized?: boolean };

export type SetValue = Operand | { kind: '+' | '-'; left: Operand; right: Operand };
export interface UpdateAst {
  readonly set: ReadonlyArray<{ path: Path; value: SetValue }>;
  readonly remove: readonly Path[];
  readonly add: ReadonlyArray<{ path: Path; ref: string }>;
  readonly delete: ReadonlyArray<{ path: Path; ref: string }>;
}

/** A parse result with the placeholders it uses (for the "undefined" and "unused" checks). */
export interface Parsed<T> {
  readonly ast: T;
  readonly names: readonly string[];
  readonly values: readonly string[];
}

export type ExpressionLabel =
  'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';

interface Token {
  type: 'word' | 'ref' | 'value' | 'number' | 'op' | 'end';
  text: string;
}

const OPERATORS = ['<>', '<=', '>=', '=', '<', '>', '+', '-', '(', ')', '[', ']', '.', ','];
const WORD = /[A-Za-z0-9_]/;

function tokenize(text: string, fail: (token: string, near: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      tokens.push({ type: 'op', text: op });
      i += op.length;
      continue;
    }
    let j = c === '#' || c === ':' ? i + 1 : i;
    while (j < text.length && WORD.test(text[j]!)) j++;
    const word = text.slice(i, j);
    if (word === '' || word === '#' || word === ':') fail(c, text.slice(Math.max(0, i - 8), i + 2));
    // A plain name may not start with a digit; a run of digits is a list index.
    if (/^\d/.test(word) && !/^\d+$/.test(word)) fail(word, word);
    tokens.push({ type: c === '#' ? 'ref' : c === ':' ? 'value' : /^\d/.test(word) ? 'number' : 'word', text: word });
    i = j;
  }
  tokens.push({ type: 'end', text: '' });
  return tokens;
}

const BOOLEAN_FUNCTIONS = new Set([
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
]);
const KNOWN_FUNCTIONS = new Set([...BOOLEAN_FUNCTIONS, 'size', 'if_not_exists', 'list_append']);
const MAX_IN_OPERANDS = 100;

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  readonly names = new Set<string>();
  readonly values = new Set<string>();

  constructor(
    private readonly label: ExpressionLabel,
    text: string,
  ) {
    this.tokens = tokenize(text, (token, near) => this.syntax(token, near));
  }

  error(message: string): never {
    throw validation(`Invalid ${this.label}: ${message}`);
  }

  private syntax(token: string, near: string): never {
    return this.error(`Syntax error; token: "${token}", near: "${near}"`);
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  next(): Token {
    const t = this.peek();
    if (t.type !== 'end') this.pos++;
    return t;
  }

  unexpected(): never {
    const t = this.peek();
    const before = this.tokens[this.pos - 1]?.text ?? '';
    return this.syntax(t.text, `${before} ${t.text}`.trim());
  }

  isOp(text: string): boolean {
    const t = this.peek();
    return t.type === 'op' && t.text === text;
  }

  expectOp(text: string): void {
    if (!this.isOp(text)) this.unexpected();
    this.pos++;
  }

  isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === 'word' && t.text.toUpperCase() === word;
  }

  atEnd(): void {
    if (this.peek().type !== 'end') this.unexpected();
  }

  // --- paths and operands ---------------------------------------------------------------------------------

  path(): PathElement[] {
    const first = this.pathName();
    const path: PathElement[] = [first];
    for (;;) {
      if (this.isOp('.')) {
        this.pos++;
        path.push(this.pathName());
      } else if (this.isOp('[')) {
        this.pos++;
        const t = this.next();
        if (t.type !== 'number') this.unexpected();
        this.expectOp(']');
        path.push({ kind: 'index', index: Number(t.text) });
      } else return path;
    }
  }

  private pathName(): PathElement {
    const t = this.next();
    if (t.type === 'ref') {
      this.names.add(t.text);
      return { kind: 'ref', ref: t.text };
    }
    if (t.type !== 'word') {
      this.pos--;
      this.unexpected();
    }
    if (RESERVED_WORDS.has(t.text.toUpperCase()))
      this.error(`Attribute name is a reserved keyword; reserved keyword: ${t.text}`);
    return { kind: 'name', name: t.text };
  }

  private isFunctionCall(): boolean {
    return this.peek().type === 'word' && this.peek(1).type === 'op' && this.peek(1).text === '(';
  }

  /** Arguments of `name(...)`, each parsed by `argument`, with DynamoDB's arity check. */
  private call<T>(name: string, arity: number, argument: (index: number) => T): T[] {
    this.expectOp('(');
    const args: T[] = [argument(0)];
    while (this.isOp(',')) {
      this.pos++;
      args.push(argument(args.length));
    }
    this.expectOp(')');
    if (args.length !== arity)
      this.error(
        `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`,
      );
    return args;
  }

  private pathArgument(name: string): Path {
    if (this.peek().type === 'value')
      this.error(`Operator or function requires a document path; operator or function: ${name}`);
    return this.path();
  }

  /** An operand: `:v`, a path, or a function allowed where a value is expected in this kind of expression. */
  operand(): Operand {
    const t = this.peek();
    if (t.type === 'value') {
      this.pos++;
      this.values.add(t.text);
      return { kind: 'value', ref: t.text };
    }
    if (this.isFunctionCall()) {
      const name = this.next().text;
      if (!KNOWN_FUNCTIONS.has(name)) this.error(`Invalid function name; function: ${name}`);
      const update = this.label === 'UpdateExpression';
      if (name === 'size' && !update)
        return { kind: 'size', path: this.call(name, 1, () => this.pathArgument(name))[0]! };
      if (name === 'if_not_exists' && update) {
        const [path, fallback] = this.call<Path | Operand>(name, 2, (i) =>
          i === 0 ? this.pathArgument(name) : this.operand(),
        );
        return { kind: 'if_not_exists', path: path as Path, fallback: fallback as Operand };
      }
      if (name === 'list_append' && update) {
        const [left, right] = this.call(name, 2, () => this.operand());
        return { kind: 'list_append', left: left!, right: right! };
      }
      this.error(`The function is not allowed to be used this way in an expression; function: ${name}`);
    }
    return { kind: 'path', path: this.path() };
  }

  // --- conditions -----------------------------------------------------------------------------------------

  or(): Condition {
    let left = this.and();
    while (this.isKeyword('OR')) {
      this.pos++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Condition {
    let left = this.not();
    while (this.isKeyword('AND')) {
      this.pos++;
      left = { kind: 'and', left, right: this.not() };
    }
    return left;
  }

  private not(): Condition {
    if (this.isKeyword('NOT')) {
      this.pos++;
      return { kind: 'not', operand: this.not() };
    }
    return this.primary();
  }

  private primary(): Condition {
    if (this.isOp('(')) {
      this.pos++;
      const inner = this.or();
      this.expectOp(')');
      // DynamoDB refuses `((x))`: a parenthesised group that only wraps another one.
      if (inner.parenthesized) this.error('The expression has redundant parentheses;');
      return { ...inner, parenthesized: true };
    }
    if (this.isFunctionCall() && BOOLEAN_FUNCTIONS.has(this.peek().text)) return this.booleanFunction(this.next().text);
    const subject = this.operand();
    const t = this.peek();
    if (t.type === 'op' && ['=', '<>', '<', '<=', '>', '>='].includes(t.text)) {
      this.pos++;
      return { kind: 'compare', op: t.text as Comparator, left: subject, right: this.operand() };
    }
    if (this.isKeyword('BETWEEN')) {
      this.pos++;
      const low = this.operand();
      if (!this.isKeyword('AND')) this.unexpected();
      this.pos++;
      return { kind: 'between', subject, low, high: this.operand() };
    }
    if (this.isKeyword('IN')) {
      this.pos++;
      this.expectOp('(');
      const candidates = [this.operand()];
      while (this.isOp(',')) {
        this.pos++;
        candidates.push(this.operand());
      }
      this.expectOp(')');
      if (candidates.length > MAX_IN_OPERANDS)
        this.error(`The IN operator is provided with too many operands; number of operands: ${candidates.length}`);
      return { kind: 'in', subject, candidates };
    }
    return this.unexpected();
  }

  private booleanFunction(name: string): Condition {
    switch (name) {
      case 'attribute_exists':
      case 'attribute_not_exists':
        return { kind: name, path: this.call(name, 1, () => this.pathArgument(name))[0]! };
      case 'attribute_type': {
        const [path, type] = this.call<Path | Operand>(name, 2, (i) =>
          i === 0 ? this.pathArgument(name) : this.operand(),
        );
        return { kind: name, path: path as Path, type: type as Operand };
      }
      case 'begins_with': {
        const [subject, prefix] = this.call(name, 2, () => this.operand());
        return { kind: name, subject: subject!, prefix: prefix! };
      }
      default: {
        const [subject, operand] = this.call(name, 2, () => this.operand());
        return { kind: 'contains', subject: subject!, operand: operand! };
      }
    }
  }

  // --- update and projection ------------------------------------------------------------------------------

  update(): UpdateAst {
    const ast = { set: [], remove: [], add: [], delete: [] } as {
      -readonly [K in keyof UpdateAst]: Array<UpdateAst[K][number]>;
    };
    const seen = new Set<string>();
    if (this.peek().type === 'end') this.error('The expression can not be empty;');
    while (this.peek().type !== 'end') {
      const keyword = this.peek().type === 'word' ? this.peek().text.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(keyword)) this.unexpected();
      if (seen.has(keyword)) this.error(`The "${keyword}" section can only be used once in an update expression;`);
      seen.add(keyword);
      this.pos++;
      for (;;) {
        if (keyword === 'SET') {
          const path = this.path();
          this.expectOp('=');
          ast.set.push({ path, value: this.setValue() });
        } else if (keyword === 'REMOVE') ast.remove.push(this.path());
        else {
          const path = this.path();
          const t = this.next();
          if (t.type !== 'value') {
            this.pos--;
            this.unexpected();
          }
          this.values.add(t.text);
          (keyword === 'ADD' ? ast.add : ast.delete).push({ path, ref: t.text });
        }
        if (!this.isOp(',')) break;
        this.pos++;
      }
    }
    return ast;
  }

  private setValue(): SetValue {
    const left = this.operand();
    if (this.isOp('+') || this.isOp('-')) {
      const kind = this.next().text as '+' | '-';
      return { kind, left, right: this.operand() };
    }
    return left;
  }

  projection(): Path[] {
    const paths = [this.path()];
    while (this.isOp(',')) {
      this.pos++;
      paths.push(this.path());
    }
    return paths;
  }
}

type CacheEntry = Parsed<unknown> | { error: string };
const CACHE = new Map<string, Map<string, CacheEntry>>();
const CACHE_LIMIT = 10_000;

function cached<T>(label: ExpressionLabel, text: string, run: (p: Parser) => T): Parsed<T> {
  let byText = CACHE.get(label);
  if (!byText) CACHE.set(label, (byText = new Map<string, CacheEntry>()));
  let entry = byText.get(text);
  if (!entry) {
    try {
      const parser = new Parser(label, text);
      const ast = run(parser);
      parser.atEnd();
      entry = { ast, names: [...parser.names], values: [...parser.values] };
    } catch (error) {
      entry = { error: (error as DynamoDBServiceException).message };
    }
    // Generated expressions (random tests) must not grow the cache without bound.
    if (byText.size >= CACHE_LIMIT) byText.clear();
    byText.set(text, entry);
  }
  if ('error' in entry) throw validation(entry.error);
  return entry as Parsed<T>;
}

export function parseCondition(
  text: string,
  label: 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression',
): Parsed<Condition> {
  return cached(label, text, (p) => p.or());
}

export function parseUpdate(text: string): Parsed<UpdateAst> {
  return cached('UpdateExpression', text, (p) => p.update());
}

export function parseProjection(text: string): Parsed<Path[]> {
  return cached('ProjectionExpression', text, (p) => p.projection());
}
