// atf-tests/ops/toml2json.mjs -- print a TOML file as one line of JSON
// (smol-toml, pinned in package.json), for the tests to check with jq.
// Exits 1 with the parser's message when the file is not valid TOML.
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";

const file = process.argv[2];
try {
	const doc = parse(readFileSync(file, "utf8"));
	process.stdout.write(JSON.stringify(doc) + "\n");
} catch (e) {
	process.stderr.write(`${file}: ${e.message}\n`);
	process.exit(1);
}
