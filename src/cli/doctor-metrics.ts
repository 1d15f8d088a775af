import type { VolplexConfig } from '../config/config.js';
import { describeListenAddress, parseListenAddress } from '../metrics/listen-address.js';
import { scrapeMetrics } from '../metrics/metrics-scrape.js';
import type { Finding } from './doctor-findings.js';

const SCRAPE_TIMEOUT_MS = 3000;

/** Whether the running daemon's metrics listener answers `GET /metrics` as Prometheus would ask it. */
export async function checkMetrics(config: VolplexConfig): Promise<Finding[]> {
  if (config.metrics.listen === '') {
    return [{ level: 'info', area: 'metrics', text: 'no metrics listener (metrics.listen is empty)' }];
  }
  const address = parseListenAddress(config.metrics.listen);
  const where = `GET /metrics on ${describeListenAddress(address)}`;
  try {
    const scrape = await scrapeMetrics(address, SCRAPE_TIMEOUT_MS);
    if (scrape.status === 200 && scrape.contentType.startsWith('text/plain') && scrape.text.includes('volplex_operation_duration_seconds')) {
      const samples = scrape.text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
      return [{ level: 'ok', area: 'metrics', text: `${where} answers (${samples} samples)` }];
    }
    return [{ level: 'FAIL', area: 'metrics', text: `${where} answered ${scrape.status} (${scrape.contentType || 'no content type'}), not with volplex's metrics` }];
  } catch (error) {
    return [{ level: 'FAIL', area: 'metrics', text: `${where} gets no answer (${(error as Error).message}): is the daemon running, with this metrics.listen?` }];
  }
}
