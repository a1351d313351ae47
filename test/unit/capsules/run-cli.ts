import { buildProgram } from '../../../services/cli/main';

/** Runs the commander program in-process, capturing stdout, stderr and the exit code. */
export async function run(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const outSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const previous = process.exitCode;
  process.exitCode = undefined;
  let code = 0;
  try {
    const program = buildProgram().exitOverride();
    await program.parseAsync(['node', 'somagent', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (err) {
    code = (err as { exitCode?: number }).exitCode ?? 1;
  } finally {
    process.exitCode = previous;
    outSpy.mockRestore();
    errSpy.mockRestore();
  }
  return { stdout, stderr, code };
}
