// Comparing run records: two trainings of one config must agree in every field but the timing, the creation
// time and the weights file's name (which follows the record's own name).

/** A record's JSON without the fields that may differ between two trainings of one config. */
export function comparableRecord(text: string): string {
  const r = JSON.parse(text) as Record<string, unknown>;
  delete r.timing;
  delete r.createdAt;
  if (r.weights && typeof r.weights === 'object') delete (r.weights as Record<string, unknown>).file;
  return JSON.stringify(r);
}
