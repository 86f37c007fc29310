// Regenerates the README's configuration tables from the services' env schemas.
import { readFileSync, writeFileSync } from 'node:fs';
import { spliceConfigSection } from '../services/cli/docs/config-tables.ts';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, spliceConfigSection(readFileSync(path, 'utf8')));
