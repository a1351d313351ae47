import { GATE_APPROVAL_HEADER, readGateApproval } from '../../../workers/gate/approval-header';
import { APPROVAL_HEADER, approvalHeaders } from '../../../workflows/approval-interceptor';

describe('approval interceptor header', () => {
  it('uses the header name the gate reads', () => {
    expect(APPROVAL_HEADER).toBe(GATE_APPROVAL_HEADER);
  });

  it('writes a payload the gate parses back, keeping other headers', () => {
    const other = { 'somagent-gate-context': { metadata: {}, data: new Uint8Array([1]) } };
    const headers = approvalHeaders(other, { approvalId: 'a-1', approvedBy: 'alice' });
    expect(headers['somagent-gate-context']).toBe(other['somagent-gate-context']);
    expect(readGateApproval(headers)).toEqual({ approvalId: 'a-1', approvedBy: 'alice' });
    expect(readGateApproval(approvalHeaders({}, { approvalId: 'a-2' }))).toEqual({ approvalId: 'a-2' });
  });
});
