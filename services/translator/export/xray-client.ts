import { XRayClient } from '@aws-sdk/client-xray';
import { ENDPOINT_SIGNING_REGION } from '../../../shared/edge/config/index.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Where a service exports, as its start-up log line says: derived from configuration, no secret resolved. */
export interface ExportTargetDescription {
  /** The XRAY_ENDPOINT override, or `https://xray.<region>.amazonaws.com` (real X-Ray). */
  readonly endpoint: string;
  readonly region: string;
  /** Where the credentials come from (which link of the AWS SDK's default chain applies). */
  readonly credentials: string;
}

/** An endpoint of AWS itself (`https://xray.<region>.amazonaws.com`, `.amazonaws.com.cn`, FIPS hosts). */
export function isAwsEndpoint(endpoint: string): boolean {
  try {
    return /\.amazonaws\.com(\.cn)?$/.test(new URL(endpoint).hostname);
  } catch {
    return false;
  }
}

/** An XRAY_ENDPOINT outside AWS (xray-local) with neither keys nor a profile: no real credentials needed. */
const usesPlaceholderCredentials = (endpoint: string | undefined, env: Env): boolean =>
  endpoint !== undefined && !isAwsEndpoint(endpoint) && !env['AWS_ACCESS_KEY_ID'] && !env['AWS_PROFILE'];

/**
 * Which link of the AWS SDK's default credential chain will answer, from the environment alone
 * (@aws-sdk/credential-provider-node: AWS_PROFILE wins over static keys, then the environment keys, the
 * shared files, web identity (IRSA), container metadata (ECS, EKS Pod Identity), instance metadata).
 */
export function credentialSourceOf(endpoint: string | undefined, env: Env): string {
  if (usesPlaceholderCredentials(endpoint, env)) return 'placeholder (an XRAY_ENDPOINT outside AWS without AWS_ACCESS_KEY_ID or AWS_PROFILE: xray-local checks no signature)';
  if (env['AWS_PROFILE']) return `profile "${env['AWS_PROFILE']}" (AWS_PROFILE: shared config and credentials files)`;
  if (env['AWS_ACCESS_KEY_ID']) return `environment (AWS_ACCESS_KEY_ID${env['AWS_SESSION_TOKEN'] ? ' with AWS_SESSION_TOKEN' : ''})`;
  if (env['AWS_WEB_IDENTITY_TOKEN_FILE']) return `web identity (IRSA: AWS_WEB_IDENTITY_TOKEN_FILE, role ${env['AWS_ROLE_ARN'] ?? 'from AWS_ROLE_ARN (unset)'})`;
  if (env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] || env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) return 'container metadata (ECS task role or EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_*)';
  if (env['AWS_EC2_METADATA_DISABLED'] === 'true') return 'default chain: shared files (~/.aws, "default" profile) only; instance metadata is disabled';
  return 'default chain: shared files (~/.aws, "default" profile), else instance metadata (EC2 instance role)';
}

/** The export target a service logs at start-up. `region` undefined: an endpoint override signed for us-east-1. */
export function describeExportTarget(options: { region: string | undefined; endpoint: string | undefined; env: Env }): ExportTargetDescription {
  const region = options.region ?? ENDPOINT_SIGNING_REGION;
  return {
    endpoint: options.endpoint ?? `https://xray.${region}.amazonaws.com`,
    region,
    credentials: credentialSourceOf(options.endpoint, options.env),
  };
}

/** Longest wait for a connection to X-Ray (ms). */
export const XRAY_CONNECTION_TIMEOUT_MS = 5_000;
/**
 * Longest a PutTraceSegments call waits for its answer's headers, and longest its socket may then stay silent
 * (ms): calls of 50 documents take well under a second.
 */
export const XRAY_REQUEST_TIMEOUT_MS = 15_000;

/**
 * The X-Ray client the translator, the all-in-one and replay use. With an endpoint override outside AWS and
 * neither AWS_ACCESS_KEY_ID nor AWS_PROFILE (xray-local), it signs with placeholder credentials; otherwise it
 * uses the SDK's default provider chain (env, profile, IRSA web identity, container, instance role).
 */
export function createXRayClient(options: { region: string | undefined; endpoint?: string | undefined; env: Env; requestTimeoutMs?: number }): XRayClient {
  return new XRayClient({
    region: options.region ?? ENDPOINT_SIGNING_REGION,
    maxAttempts: 1, // XRaySegmentSink retries itself, with heartbeats between retries
    // The SDK's node handler sets no timeout: a black-holed connection held a call (and the assembly window's
    // timer, which waits for it) for the kernel's TCP timeout, minutes, with no heartbeat. A call that times
    // out is a TimeoutError, retryable (XRAY_UNAVAILABLE), and retried by the export stages with heartbeats.
    // requestTimeout bounds the wait for the answer's headers; socketTimeout a silence after them (a body stalled
    // midway); both throw.
    requestHandler: {
      connectionTimeout: XRAY_CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? XRAY_REQUEST_TIMEOUT_MS,
      socketTimeout: options.requestTimeoutMs ?? XRAY_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    // Resolve each command's middleware stack once, not on every send (nothing here changes the stack after
    // the first call): ≈ 15 % less client CPU per PutTraceSegments call (bench/xray-sdk.bench.ts; issue 9).
    cacheMiddleware: true,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(usesPlaceholderCredentials(options.endpoint, options.env) ? { credentials: { accessKeyId: 'meshray-local', secretAccessKey: 'meshray-local' } } : {}),
  });
}
