// What the deploy tests know about each meshray service, read from the code rather than restated:
// its env schema (services/<name>/config.ts) and the port its health routes answer on.
import type { z } from 'zod';
import { receiverEnvSchema } from '../../../services/receiver/config.ts';
import { translatorEnvSchema } from '../../../services/translator/config.ts';
import { xrayLocalConfigSchema } from '../../../services/xray-local/config.ts';
import { COMMANDS } from '../../../services/cli/commands.ts';
import { parseConfig } from '../../../shared/edge/config/index.ts';

export const COMMAND_NAMES: ReadonlySet<string> = new Set(Object.keys(COMMANDS));

/** Variables read by the AWS SDK's default credential chain rather than by meshray's config schemas. */
export const AWS_SDK_ENV: ReadonlySet<string> = new Set([
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_STS_REGIONAL_ENDPOINTS',
]);

/** Read by node itself (services/cli/node-options.ts sets the default per service). */
export const NODE_ENV_VARS: ReadonlySet<string> = new Set(['NODE_OPTIONS']);

export interface ServiceSpec {
  readonly command: string;
  readonly schema: z.ZodObject;
  /** Extra variables this service may be given (read by an SDK, not by the schema). */
  readonly extraEnv: ReadonlySet<string>;
  /** The env key that sets its HTTP port (health routes live there). */
  readonly portKey: string;
}

export const SERVICES: Readonly<Record<string, ServiceSpec>> = {
  receiver: { command: 'receiver', schema: receiverEnvSchema, extraEnv: NODE_ENV_VARS, portKey: 'RECEIVER_PORT' },
  translator: { command: 'translator', schema: translatorEnvSchema, extraEnv: new Set([...AWS_SDK_ENV, ...NODE_ENV_VARS]), portKey: 'TRANSLATOR_OPS_PORT' },
  'xray-local': { command: 'xray-local', schema: xrayLocalConfigSchema, extraEnv: NODE_ENV_VARS, portKey: 'XRAY_LOCAL_PORT' },
};

export const schemaKeys = (spec: ServiceSpec): ReadonlySet<string> => new Set(Object.keys(spec.schema.shape));

/** Keys without a default that must be set. */
export const requiredKeys = (spec: ServiceSpec): string[] =>
  Object.entries(spec.schema.shape).filter(([, s]) => !(s as z.ZodType).safeParse(undefined).success).map(([k]) => k);

/** Checks an environment against a service: unknown keys and parse problems (missing required, bad values). */
export function envProblems(spec: ServiceSpec, env: Readonly<Record<string, string>>, where: string): string[] {
  const known = schemaKeys(spec);
  const problems = Object.keys(env)
    .filter((k) => !known.has(k) && !spec.extraEnv.has(k))
    .map((k) => `${where}: ${k} is not a ${spec.command} setting (not in its config schema)`);
  const schemaEnv = Object.fromEntries(Object.entries(env).filter(([k]) => known.has(k)));
  const parsed = parseConfig(spec.schema, schemaEnv);
  if (!parsed.ok) problems.push(...parsed.issues.map((i) => `${where}: ${i.path} ${i.message}`));
  return problems;
}

/** The port the service listens on under this environment (its default when unset). */
export function servicePort(spec: ServiceSpec, env: Readonly<Record<string, string>>): number {
  const known = schemaKeys(spec);
  const parsed = parseConfig(spec.schema, Object.fromEntries(Object.entries(env).filter(([k]) => known.has(k))));
  if (!parsed.ok) throw new Error(`${spec.command}: invalid env: ${JSON.stringify(parsed.issues)}`);
  const port = (parsed.value as Record<string, unknown>)[spec.portKey];
  if (typeof port !== 'number') throw new Error(`${spec.command}: ${spec.portKey} did not parse to a number`);
  return port;
}

/** The health routes every service's HTTP port serves (shared/edge/http/ops-routes.ts). */
export const HEALTH_PATHS = { live: '/health/live', ready: '/health/ready', metrics: '/metrics' } as const;

export const serviceForCommand = (command: string | undefined): ServiceSpec | undefined =>
  Object.values(SERVICES).find((s) => s.command === command);
