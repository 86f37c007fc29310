// Types of tools/kafka/kafka.mjs (plain JS on purpose: it runs under `node` before tsx), for TS tests and benches.

export interface Broker {
  readonly brokers: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  readonly startupMs: number;
  stop(): Promise<void>;
}

export function startBroker(options?: {
  log?: (msg: string) => void;
  dataDir?: string;
  port?: number;
  handleSignals?: boolean;
  detached?: boolean;
  /** More server.properties entries, e.g. `{ 'log.message.timestamp.before.max.ms': '518400000' }`. */
  config?: Readonly<Record<string, string>>;
}): Promise<Broker>;

export interface ClusterNode {
  /** Kafka node.id, 1…n. */
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
}

export interface Cluster {
  /** "127.0.0.1:p1,127.0.0.1:p2,…" (KAFKA_BROKERS). */
  readonly brokers: string;
  readonly brokerList: readonly string[];
  readonly dir: string;
  readonly startupMs: number;
  readonly nodes: readonly ClusterNode[];
  /** The node's JVM pid, undefined while it is not running. */
  pid(id: number): number | undefined;
  isRunning(id: number): boolean;
  /** SIGKILL (default) / SIGTERM resolve once the JVM exited; SIGSTOP / SIGCONT only send the signal. */
  kill(id: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped node again (same ports and data); resolves with its startup ms once the cluster lists it. */
  restart(id: number): Promise<number>;
  stop(): Promise<void>;
}

export function startCluster(options?: { nodes?: number; log?: (msg: string) => void; handleSignals?: boolean; heapMb?: number }): Promise<Cluster>;

export function install(options?: { log?: (msg: string) => void }): string;
export function isPortFree(port: number): Promise<boolean>;
/** Deletes the `broker-*` and `cluster-*` temp dirs under `stateDir` whose owner and brokers are all gone; returns them. */
export function removeStaleDirs(stateDir: string, log?: (msg: string) => void): string[];
/** Where this process's pids mean something: its host and (Linux) pid namespace, as owner.pid's second line holds it. */
export function pidSpace(): string;

/** A producer byte-rate quota (bytes/s per broker) for `clientId` (kafka.admin.ConfigCommand). */
export function setClientQuota(options: { brokers: string; clientId: string; producerByteRate: number; log?: (msg: string) => void }): Promise<void>;
