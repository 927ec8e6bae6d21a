// `npm run docs:config`: regenerates the configuration reference in README.md from the zod schema.
import { readFile, writeFile } from 'node:fs/promises';
import { Config } from '../src/config/config.schema.ts';
import { configReferenceMarkdown } from '../src/config/config-reference.ts';

const BEGIN = '<!-- config-reference:begin (npm run docs:config) -->';
const END = '<!-- config-reference:end -->';
const readme = await readFile('README.md', 'utf8');
const start = readme.indexOf(BEGIN);
const end = readme.indexOf(END);
if (start < 0 || end < 0) throw new Error(`README.md needs the markers ${BEGIN} and ${END}`);
await writeFile('README.md', `${readme.slice(0, start + BEGIN.length)}\n${configReferenceMarkdown(Config)}\n${readme.slice(end)}`);
console.log('README.md configuration reference updated');
