import { readFile } from 'node:fs/promises';

/** Reads a whole file, or stdin for `-` / no argument. */
export async function readInput(file: string | undefined, stdin: NodeJS.ReadableStream): Promise<Buffer> {
  if (file !== undefined && file !== '-') return readFile(file);
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
