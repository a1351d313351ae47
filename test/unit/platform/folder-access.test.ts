import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { firstFolderClosedTo } from '../../../services/platform/folder-access';

describe('firstFolderClosedTo', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'folder-access-'));
  });
  afterEach(() => {
    chmodSync(root, 0o755);
    rmSync(root, { recursive: true, force: true });
  });

  // `nobody` owns none of these folders, so only the "others" permission bits apply to it.
  it('finds the first folder others may not enter', () => {
    const inner = path.join(root, 'a', 'b');
    mkdirSync(inner, { recursive: true });
    chmodSync(root, 0o755);
    chmodSync(path.join(root, 'a'), 0o750);
    expect(firstFolderClosedTo(path.join(inner, 'file'), 'nobody')).toBe(path.join(root, 'a'));
  });

  it('is undefined when every folder may be entered', () => {
    mkdirSync(path.join(root, 'a'), { recursive: true });
    chmodSync(root, 0o711);
    expect(firstFolderClosedTo(path.join(root, 'a', 'not-yet-created', 'x'), 'nobody')).toBeUndefined();
  });

  it('treats a user that does not exist yet as owning nothing', () => {
    chmodSync(root, 0o700);
    expect(firstFolderClosedTo(path.join(root, 'x'), 'somagent-no-such-user')).toBe(root);
  });
});
