// Builds the private htmx (vendor/htmx-private.js) from the pinned htmx.org package, and the
// minified bundle the server sends as /widget/frontdesk.js (dist/frontdesk.min.js).
//
//   node build.mjs            write both files
//   node build.mjs --check    fail unless both files are exactly what the sources produce
//   node build.mjs --htmx F   patch another copy of htmx.js (tests use this to prove a missing
//                             anchor fails the build)
//
// Why a private htmx: a stock copy would replace the host page's window.htmx (so every host
// hx-* element fires twice), process the host's document.body, install history handlers and read
// the host's <meta name="htmx-config">. See shared/research/embedding.md, section 1.4.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const check = args.includes("--check");
const htmxPath = args.includes("--htmx")
  ? args[args.indexOf("--htmx") + 1]
  : join(here, "node_modules/htmx.org/dist/htmx.js");

// Each anchor must occur exactly once; an htmx release that moves one fails the build loudly.
const PATCHES = [
  ["            this.process(document.body);\n", "", "no processing of the host's document.body"],
  ["                history: true,\n", "                history: false,\n", "no history or popstate handling"],
  ["                includeIndicatorCSS: true,\n", "                includeIndicatorCSS: false,\n", "no document-level indicator CSS"],
  [`let metaConfig = document.querySelector('meta[name="htmx-config"]');`, "let metaConfig = null;", "the host's <meta name=\"htmx-config\"> is ignored"],
  ["var htmx = (() => {", "var htmx = (() => {", "the wrapper finds the htmx definition"],
];

export function privateHtmx(source) {
  let out = source;
  for (const [anchor, replacement, why] of PATCHES) {
    const count = out.split(anchor).length - 1;
    if (count !== 1) {
      throw new Error(`htmx patch "${why}": anchor found ${count} times, expected once`);
    }
    out = out.replace(anchor, () => replacement);
  }
  // A function, so `var htmx` is local: no window.htmx global.
  return (
    "// htmx.org 4.0.1 (0BSD, see htmx.LICENSE), patched by widget/build.mjs for Frontdesk.\n" +
    "function frontdeskHtmx() {\n" + out + "\nreturn htmx;\n}\n"
  );
}

function bundle(privateSource, loaderSource) {
  const code = "(function () {\n" + privateSource + loaderSource + "})();\n";
  return transformSync(code, { minify: true, target: "es2020", legalComments: "none" }).code;
}

let failed = false;
function emit(path, content) {
  const full = join(here, path);
  if (check) {
    let current = "";
    try { current = readFileSync(full, "utf8"); } catch {}
    if (current !== content) {
      console.error(`${path} does not match its sources: run \`node widget/build.mjs\``);
      failed = true;
    }
    return;
  }
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  console.log(`wrote ${path} (${content.length} bytes)`);
}

const privateSource = privateHtmx(readFileSync(htmxPath, "utf8"));
emit("vendor/htmx-private.js", privateSource);
emit("vendor/htmx.LICENSE", readFileSync(join(dirname(htmxPath), "..", "LICENSE"), "utf8"));
emit("dist/frontdesk.min.js", bundle(privateSource, readFileSync(join(here, "frontdesk.js"), "utf8")));
if (failed) process.exit(1);
