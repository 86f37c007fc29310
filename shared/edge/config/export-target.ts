/**
 * Where `meshray start` (its embedded xray-local) and `meshray stack` (its own xray-local) export, and the warning
 * that says so at start. Pure: the variables are inputs.
 */

/** The two variables that choose the target (validated by the service's schema before). */
export interface ExportTargetSettings {
  readonly XRAY_ENDPOINT?: string | undefined;
  readonly AWS_REGION?: string | undefined;
}

/** Where documents go: the embedded xray-local, or a real X-Ray (endpoint override or AWS). */
export type ExportTarget = { kind: 'embedded' } | { kind: 'endpoint'; endpoint: string } | { kind: 'aws'; region: string };

const AWS_CREDENTIAL_HINTS = ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];

/**
 * The start-up warning about where `command` (meshray start or stack) exports, or undefined (embedded, nothing Region-like set):
 * - embedded although AWS_REGION is set: no credential variable is (the rule below). Credentials from ~/.aws or
 *   an instance role set no variable; an XRAY_ENDPOINT at AWS takes them (the SDK's default chain, xray-client.ts);
 * - embedded although AWS_DEFAULT_REGION is set: only AWS_REGION leaves the embedded xray-local (AWS users keep
 *   AWS_DEFAULT_REGION and AWS_PROFILE in their shells; `npm start` must not send a newcomer's demo to their
 *   account). EKS (IRSA, Pod Identity), ECS and Lambda set AWS_REGION as well;
 * - AWS (a Region with credentials, or an XRAY_ENDPOINT at amazonaws.com): spans leave this machine, for the
 *   account of those credentials;
 * - any other XRAY_ENDPOINT: the embedded xray-local and its console are not started (the README says so).
 */
export function exportTargetWarning(config: ExportTargetSettings, env: Readonly<Record<string, string | undefined>>, target: ExportTarget, command = 'meshray start'): string | undefined {
  if (target.kind === 'aws') {
    const credentials = AWS_CREDENTIAL_HINTS.filter((k) => Boolean(env[k])).join(', ');
    return `exporting to AWS X-Ray in ${target.region} (AWS_REGION with ${credentials}), not to the embedded xray-local: `
      + 'unset AWS_REGION, or set XRAY_ENDPOINT, to keep spans on this machine';
  }
  if (target.kind === 'endpoint') {
    // The README promises this line: without it, the console missing from :2000 went unexplained (a newcomer's trial).
    return /\.amazonaws\.com(\.cn)?(:\d+)?(\/|$)/i.test(target.endpoint)
      ? `exporting to AWS X-Ray at ${target.endpoint} (XRAY_ENDPOINT), not to the embedded xray-local: spans leave this machine`
      : `exporting to ${target.endpoint} (XRAY_ENDPOINT), not to the embedded xray-local: its API and console are not started on XRAY_LOCAL_PORT`;
  }
  if (config.AWS_REGION) {
    return `AWS_REGION=${config.AWS_REGION} is set, but none of ${AWS_CREDENTIAL_HINTS.join(', ')} is: exporting to the embedded xray-local, not to X-Ray. `
      + `For credentials from ~/.aws or an instance role, set XRAY_ENDPOINT=https://xray.${config.AWS_REGION}.amazonaws.com`;
  }
  const fallback = env['AWS_DEFAULT_REGION'];
  if (!fallback) return undefined;
  return `AWS_DEFAULT_REGION=${fallback} is set, but ${command} exports to X-Ray only with AWS_REGION (and credentials) or XRAY_ENDPOINT: `
    + 'exporting to the embedded xray-local';
}

/**
 * XRAY_ENDPOINT wins; else AWS_REGION (never AWS_DEFAULT_REGION: exportTargetWarning) with a credential variable
 * means AWS; else the embedded xray-local.
 */
export function chooseExportTarget(config: ExportTargetSettings, env: Readonly<Record<string, string | undefined>>): ExportTarget {
  if (config.XRAY_ENDPOINT !== undefined) return { kind: 'endpoint', endpoint: config.XRAY_ENDPOINT };
  const region = config.AWS_REGION;
  if (region && AWS_CREDENTIAL_HINTS.some((k) => Boolean(env[k]))) return { kind: 'aws', region };
  return { kind: 'embedded' };
}
