import { buildProgram } from '../../services/cli/main';

/**
 * Runs `somagent <args>` in-process (the real commander program) and returns what it wrote to
 * stdout. Commander's exit is turned into a thrown error so a failing command fails the test.
 */
export async function runSomagent(...args: string[]): Promise<string> {
  let out = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await buildProgram()
      .exitOverride()
      .parseAsync(['node', 'somagent', ...args]);
  } finally {
    write.mockRestore();
  }
  return out;
}
