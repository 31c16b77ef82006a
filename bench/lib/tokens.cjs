// Counts o200k_base tokens (gpt-tokenizer) of each file given, as JSON:
// {"path": tokens, ...}. BENCH_DEPS points at bench/.deps.
const fs = require('fs');
const path = require('path');

const deps = process.env.BENCH_DEPS || path.join(__dirname, '..', '.deps');
const tokenizer = require(path.join(deps, 'node_modules', 'gpt-tokenizer', 'cjs', 'encoding', 'o200k_base.js'));

const out = {};
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  // Special-token text (e.g. "<|endoftext|>") inside a description is plain text here.
  out[file] = tokenizer.encode(text, { allowedSpecial: new Set(), disallowedSpecial: new Set() }).length;
}
process.stdout.write(JSON.stringify(out));
