import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The command prefix that makes a child of `meshray stack` receive SIGTERM when the stack process dies, however
 * it dies (killed -9 too): `setpriv --pdeathsig TERM --` (util-linux, on every Debian and most Linux systems),
 * which sets the kernel's parent-death signal (prctl PR_SET_PDEATHSIG) and execs the command, so the child keeps
 * its pid. The services and the broker run in process groups of their own (ordered shutdown), so without it a
 * stack killed -9 left them running on its ports. Empty where setpriv is not found (not Linux, a minimal image):
 * the children are then spawned as they are. `pathEnv`: the PATH to look in.
 */
export function parentDeathPrefix(pathEnv: string | undefined, platform: NodeJS.Platform = process.platform): string[] {
  if (platform !== 'linux') return [];
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'setpriv');
    try {
      accessSync(candidate, constants.X_OK);
      return [candidate, '--pdeathsig', 'TERM', '--'];
    } catch {
      // not here
    }
  }
  return [];
}
