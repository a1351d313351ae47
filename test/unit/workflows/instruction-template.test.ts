import { ApplicationFailure } from '@temporalio/common';
import { renderInstruction, templateReferences } from '../../../workflows/instruction-template';

function failureOf(fn: () => unknown): ApplicationFailure {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('renderInstruction', () => {
  const context = {
    params: { audience: 'CFOs', count: 3, tags: ['a', 'b'], nothing: null },
    steps: {
      research: { output: { summary: 'Markets grew.', points: ['x', 'y'] } },
      draft: { output: 'Draft text' },
    },
  };

  it('renders typed step outputs readably, never as [object Object]', () => {
    const extract = {
      decisions: ['Ship the default constitution', 'Launch stays 1 December'],
      actionItems: [{ owner: 'Marco', task: 'Update the\npricing page', due: 'Friday' }],
      openQuestions: [],
    };
    const ctx = { steps: { extract: { output: extract } } };
    expect(renderInstruction('Decisions: {{steps.extract.output.decisions}}', ctx)).toBe(
      'Decisions: \n- Ship the default constitution\n- Launch stays 1 December\n',
    );
    expect(renderInstruction('Items: {{steps.extract.output.actionItems}}', ctx)).toBe(
      'Items: \n- {"owner":"Marco","task":"Update the\\npricing page","due":"Friday"}\n',
    );
    expect(renderInstruction('Open: {{steps.extract.output.openQuestions}}', ctx)).toBe('Open: (none)');
    const whole = renderInstruction('{{steps.extract.output}}', ctx);
    expect(JSON.parse(whole)).toEqual(extract);
    expect(whole).not.toContain('[object Object]');
  });

  it('inserts params and step outputs; strings verbatim, lists as Markdown lists, objects as compact JSON', () => {
    expect(
      renderInstruction(
        'Write for {{params.audience}} ({{ params.count }} points): {{steps.research.output.summary}} / {{steps.draft.output}}',
        context,
      ),
    ).toBe('Write for CFOs (3 points): Markets grew. / Draft text');
    expect(renderInstruction('{{steps.research.output.points[1]}}', context)).toBe('y');
    expect(renderInstruction('Tags:{{params.tags}}', context)).toBe('Tags:\n- a\n- b\n');
    expect(renderInstruction('v={{params.nothing}}', context)).toBe('v=null');
    expect(renderInstruction('no variables', {})).toBe('no variables');
  });

  it('names the missing step and tells to add it to dependsOn', () => {
    const failure = failureOf(() => renderInstruction('Use {{steps.review.output}}', context));
    expect(failure.type).toBe('TemplateError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      '{{steps.review.output}}: step "review" has no output yet; add "review" to this step\'s dependsOn',
    );
  });

  it('names the undefined path and lists what exists there', () => {
    expect(failureOf(() => renderInstruction('{{params.audiance}}', context)).message).toBe(
      '{{params.audiance}}: "params.audiance" is not defined (available: audience, count, nothing, tags)',
    );
    expect(failureOf(() => renderInstruction('{{memory.kpis}}', context)).message).toMatch(
      /"memory" is not defined \(available: params, steps\)/,
    );
    expect(failureOf(() => renderInstruction('{{params.audience.length}}', context)).message).toMatch(
      /"params.audience.length" is not defined \(the value before it is not an object\)/,
    );
  });

  it('rejects syntax errors with the offset', () => {
    expect(failureOf(() => templateReferences('a {{params.x')).message).toBe(
      'unclosed "{{" at offset 2: add the matching "}}"',
    );
    expect(failureOf(() => templateReferences('{{ params.x + 1 }}')).message).toMatch(
      /is not a variable path/,
    );
    expect(templateReferences('{{a.b}} and {{ c[2].d }}').map((r) => r.segments)).toEqual([
      ['a', 'b'],
      ['c', '2', 'd'],
    ]);
  });
});
