/**
 * `npm run test:site` step 1: build the site when dist/ is missing or older
 * than any input of the build (the check lives in tests/support/site-build.ts,
 * shared with the e2e harness and the benchmarks).
 */
import { ensureSiteBuilt } from '../support/site-build.ts';

ensureSiteBuilt();
