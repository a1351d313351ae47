import type { AttributeRef, ComparisonOperator, Expr, Literal, OrderTerm, QueryAst } from './ast';
import { VisibilityQueryError } from './errors';
import { tokenize, type Token } from './tokenizer';

/**
 * Parses a list-filter query (Temporal's SQL-like visibility language) into an AST.
 * Precedence, loosest first: OR, AND, NOT, predicate. An empty query has no filter.
 * Throws VisibilityQueryError with the 1-based column of the first offending token.
 */
export function parseQuery(query: string): QueryAst {
  return new Parser(tokenize(query)).parseQuery();
}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  parseQuery(): QueryAst {
    let filter: Expr | undefined;
    if (!this.atKeyword('ORDER') && !this.atKeyword('GROUP') && this.peek().kind !== 'eof') {
      filter = this.parseOr();
    }
    const groupBy: AttributeRef[] = [];
    const orderBy: OrderTerm[] = [];
    if (this.acceptKeyword('GROUP')) {
      this.expectKeyword('BY');
      do groupBy.push(this.parseAttribute());
      while (this.accept('comma'));
    }
    if (this.acceptKeyword('ORDER')) {
      this.expectKeyword('BY');
      do {
        const attr = this.parseAttribute();
        let direction: 'ASC' | 'DESC' = 'ASC';
        if (this.acceptKeyword('DESC')) direction = 'DESC';
        else this.acceptKeyword('ASC');
        orderBy.push({ attr, direction });
      } while (this.accept('comma'));
    }
    const rest = this.peek();
    if (rest.kind !== 'eof') throw this.syntaxError(rest);
    return { filter, groupBy, orderBy };
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.acceptKeyword('OR')) left = { kind: 'or', left, right: this.parseAnd() };
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseUnary();
    while (this.acceptKeyword('AND')) left = { kind: 'and', left, right: this.parseUnary() };
    return left;
  }

  private parseUnary(): Expr {
    if (this.acceptKeyword('NOT')) return { kind: 'not', expr: this.parseUnary() };
    if (this.accept('lparen')) {
      const inner = this.parseOr();
      this.expect('rparen', "')'");
      return inner;
    }
    return this.parsePredicate();
  }

  private parsePredicate(): Expr {
    const attr = this.parseAttribute();
    const token = this.peek();
    if (token.kind === 'operator') {
      this.pos++;
      return { kind: 'compare', attr, op: token.value as ComparisonOperator, value: this.parseLiteral() };
    }
    if (this.acceptKeyword('IS')) {
      const negated = this.acceptKeyword('NOT');
      this.expectKeyword('NULL');
      return { kind: 'isNull', attr, negated };
    }
    const negated = this.acceptKeyword('NOT');
    if (this.acceptKeyword('IN')) {
      this.expect('lparen', "'('");
      const values: Literal[] = [];
      do values.push(this.parseLiteral());
      while (this.accept('comma'));
      this.expect('rparen', "')'");
      return { kind: 'in', attr, values, negated };
    }
    if (this.acceptKeyword('BETWEEN')) {
      const low = this.parseLiteral();
      this.expectKeyword('AND');
      const high = this.parseLiteral();
      return { kind: 'between', attr, low, high, negated };
    }
    if (this.acceptKeyword('STARTS_WITH')) {
      return { kind: 'startsWith', attr, prefix: this.parseLiteral(), negated };
    }
    const bad = this.peek();
    throw new VisibilityQueryError(
      `expected an operator after '${attr.name}' (=, !=, >, >=, <, <=, IN, BETWEEN, STARTS_WITH, IS NULL)`,
      bad.column,
      bad.text || 'end of query',
    );
  }

  private parseAttribute(): AttributeRef {
    const token = this.peek();
    if (token.kind !== 'identifier') {
      throw new VisibilityQueryError(
        'expected a search attribute name',
        token.column,
        token.text || 'end of query',
      );
    }
    this.pos++;
    return { name: token.value, column: token.column };
  }

  private parseLiteral(): Literal {
    const token = this.peek();
    this.pos++;
    if (token.kind === 'string') return { kind: 'string', value: token.value, column: token.column };
    if (token.kind === 'number') {
      return { kind: 'number', value: Number(token.value), text: token.value, column: token.column };
    }
    if (token.kind === 'keyword' && (token.value === 'TRUE' || token.value === 'FALSE')) {
      return { kind: 'bool', value: token.value === 'TRUE', column: token.column };
    }
    this.pos--;
    throw new VisibilityQueryError(
      'expected a value (quoted string, number, true or false)',
      token.column,
      token.text || 'end of query',
    );
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private accept(kind: Token['kind']): boolean {
    if (this.peek().kind !== kind) return false;
    this.pos++;
    return true;
  }

  private atKeyword(word: string): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && token.value === word;
  }

  private acceptKeyword(word: string): boolean {
    if (!this.atKeyword(word)) return false;
    this.pos++;
    return true;
  }

  private expect(kind: Token['kind'], shown: string): void {
    const token = this.peek();
    if (!this.accept(kind)) {
      throw new VisibilityQueryError(`expected ${shown}`, token.column, token.text || 'end of query');
    }
  }

  private expectKeyword(word: string): void {
    const token = this.peek();
    if (!this.acceptKeyword(word)) {
      throw new VisibilityQueryError(`expected ${word}`, token.column, token.text || 'end of query');
    }
  }

  private syntaxError(token: Token): VisibilityQueryError {
    return new VisibilityQueryError('syntax error', token.column, token.text);
  }
}
