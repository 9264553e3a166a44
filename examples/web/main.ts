/**
 * klip in a web page of your own: start the wasm backend with the URL where the `.wasm` files are served
 * (vite.config.ts copies them to `wasm/`), then compute. See docs/web.md.
 */
import { Categorical, klDivergence, klProbs, ready } from 'klip';

const out = document.querySelector('#out') as HTMLElement;
try {
  // The .wasm files sit in `wasm/` next to index.html; BASE_URL is Vite's base path ('/' by default).
  const backend = await ready({ wasmPaths: `${import.meta.env.BASE_URL}wasm/` });
  const exact = klProbs([0.7, 0.3], [0.4, 0.6]); // float64, plain numbers
  const p = Categorical.fromProbs([[0.7, 0.3]]);
  const q = Categorical.fromProbs([[0.4, 0.6]]);
  const kl = klDivergence(p, q); // float32, on the backend
  const value = (await kl.data())[0]!;
  kl.dispose();
  out.textContent = `backend ${backend}\nKL(teacher‖student) = ${value.toFixed(4)} nats (float64: ${exact.toFixed(4)})`;
} catch (e) {
  out.textContent = `error: ${(e as Error).message}`;
}
