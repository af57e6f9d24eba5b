// Comparing run records: two trainings of one config must agree in every field but the timing, the creation
// time and the names of the files beside it (the weights and the per-subtask losses: they follow the record's
// own name).

/** A record's JSON without the fields that may differ between two trainings of one config. */
export function comparableRecord(text: string): string {
  const r = JSON.parse(text) as Record<string, unknown>;
  delete r.timing;
  delete r.createdAt;
  if (r.weights && typeof r.weights === 'object') delete (r.weights as Record<string, unknown>).file;
  delete r.subtaskLossFile;
  return JSON.stringify(r);
}
