import type { Expr, Literal, QueryAst } from './ast';
import { KEYWORDS } from './tokenizer';

/**
 * Prints an AST back as a query string that parses to the same tree (fully parenthesised).
 * Used in tests and for logging canonical queries.
 */
export function formatQuery(ast: QueryAst): string {
  const parts: string[] = [];
  if (ast.filter) parts.push(formatExpr(ast.filter));
  if (ast.groupBy.length > 0) {
    parts.push(`GROUP BY ${ast.groupBy.map((a) => formatName(a.name)).join(', ')}`);
  }
  if (ast.orderBy.length > 0) {
    parts.push(`ORDER BY ${ast.orderBy.map((o) => `${formatName(o.attr.name)} ${o.direction}`).join(', ')}`);
  }
  return parts.join(' ');
}

/** Prints one filter expression. */
export function formatExpr(expr: Expr): string {
  switch (expr.kind) {
    case 'and':
      return `(${formatExpr(expr.left)} AND ${formatExpr(expr.right)})`;
    case 'or':
      return `(${formatExpr(expr.left)} OR ${formatExpr(expr.right)})`;
    case 'not':
      return `NOT ${formatExpr(expr.expr)}`;
    case 'compare':
      return `${formatName(expr.attr.name)} ${expr.op} ${formatLiteral(expr.value)}`;
    case 'in':
      return `${formatName(expr.attr.name)}${expr.negated ? ' NOT' : ''} IN (${expr.values.map(formatLiteral).join(', ')})`;
    case 'between':
      return `${formatName(expr.attr.name)}${expr.negated ? ' NOT' : ''} BETWEEN ${formatLiteral(expr.low)} AND ${formatLiteral(expr.high)}`;
    case 'startsWith':
      return `${formatName(expr.attr.name)}${expr.negated ? ' NOT' : ''} STARTS_WITH ${formatLiteral(expr.prefix)}`;
    case 'isNull':
      return `${formatName(expr.attr.name)} IS ${expr.negated ? 'NOT ' : ''}NULL`;
  }
}

function formatName(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) && !KEYWORDS.has(name.toUpperCase())) return name;
  return `\`${name.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
}

function formatLiteral(literal: Literal): string {
  switch (literal.kind) {
    case 'string':
      return `'${literal.value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
    case 'number':
      return literal.text;
    case 'bool':
      return literal.value ? 'true' : 'false';
  }
}
