// The outputs of QDG on tokens (`quanta lm qdg`; paper Figs. 1, 5, 13): clusters.json and rank-frequency.csv
// with the purity measures and the largest clusters, the similarity picture, and report.html, where clusters
// are shown as lists of contexts with the predicted token highlighted. Node only (writes files).
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { orderByCluster } from '../qdg/pipeline.js';
import { gradientDescription, rankFrequencySvg, similaritySvgs, writeClusterFiles } from '../qdg/report.js';
import type { QdgResult } from '../qdg/run.js';
import { similarityPng } from '../qdg/similarity-image.js';
import { pictureClusterCount } from '../qdg/write.js';
import { escapeHtml, htmlPage, htmlTable } from '../report/html.js';
import type { TokenStream } from './data.js';
import { adjustedRandIndex, normalizedMutualInfo } from '../qdg/metrics.js';
import { randomPurity, weightedPurity, type LmQdgSource } from './qdg.js';

interface ClusterView {
  rank: number;
  size: number;
  tagPurity: number;
  tokenPurity: number;
  topTag: string;
  topToken: string;
  rows: number[];
}

function clusterViews(
  labels: Int32Array,
  rows: number[],
  stream: TokenStream,
  words: string[],
): ClusterView[] {
  const order = orderByCluster(labels);
  const views: ClusterView[] = [];
  let i = 0;
  while (i < order.length) {
    const label = labels[order[i]];
    const members: number[] = [];
    while (i < order.length && labels[order[i]] === label) members.push(rows[order[i++]]);
    const top = (vals: string[]): [string, number] => {
      const m = new Map<string, number>();
      for (const v of vals) m.set(v, (m.get(v) ?? 0) + 1);
      const best = [...m].sort((a, b) => b[1] - a[1])[0];
      return [best[0], best[1] / vals.length];
    };
    const [topTag, tagPurity] = top(members.map((p) => stream.tags[p]));
    const [topToken, tokenPurity] = top(members.map((p) => words[stream.ids[p]]));
    views.push({
      rank: views.length,
      size: members.length,
      tagPurity,
      tokenPurity,
      topTag,
      topToken,
      rows: members,
    });
  }
  return views;
}

function contextHtml(stream: TokenStream, p: number, before = 10): string {
  const start = Math.max(p - stream.positionOf[p], p - before);
  const ctx = stream.words.slice(start, p).join(' ');
  return `&hellip; ${escapeHtml(ctx)} <b style="background:#ffe08a">${escapeHtml(stream.words[p])}</b>`;
}

/** Purity of the clusters at the pictured K, against random clusters of the same sizes. */
export interface LmQdgPurity {
  K: number;
  tag: number;
  tagRandom: number;
  token: number;
  tokenRandom: number;
}

/** A skills family's clusters against the true skills (monogenic skill k; polygenic; irreducible kinds). */
export interface LmQdgSkillScores {
  /** ARI and NMI at the pictured K. */
  K: number;
  ariSkills: number;
  nmiSkills: number;
  /** Every K of the run. */
  byK: { K: number; ari: number; nmi: number }[];
  /** Distinct true skills among the clustered tokens. */
  skillsPresent: number;
}

/**
 * Writes clusters.json, rank-frequency.csv, similarity-by-cluster.png and report.html into the existing folder
 * `out`; returns the files written and the purity at the pictured K (and, for a skills family, the clusters'
 * ARI and NMI against the true skills). `result` must have kept its affinity.
 */
export async function writeLmQdgOutputs(
  out: string,
  lm: LmQdgSource,
  result: QdgResult,
  o: { lossThreshold: number; showClusters: number },
): Promise<{ files: string[]; purity: LmQdgPurity; skills?: LmQdgSkillScores }> {
  const { analysis, config } = result;
  const { data, selection: sel, model, width } = lm;
  const S = config.samples;
  const Kshow = pictureClusterCount(config.clusters, S);
  const clustering = analysis.clusterings.find((c) => c.K === Kshow)!;
  const words = data.vocab.words;
  const views = clusterViews(clustering.labels, sel.rows, data.test, words);
  const tags = sel.rows.map((p) => data.test.tags[p]);
  const predicted = sel.rows.map((p) => words[data.test.ids[p]]);
  const purity: LmQdgPurity = {
    K: Kshow,
    tag: weightedPurity(clustering.labels, tags),
    tagRandom: randomPurity(clustering.labels, tags, config.seed),
    token: weightedPurity(clustering.labels, predicted),
    tokenRandom: randomPurity(clustering.labels, predicted, config.seed),
  };
  let skills: LmQdgSkillScores | undefined;
  if (lm.truth) {
    const truth = sel.rows.map((p) => lm.truth![p]);
    const byK = analysis.clusterings.map((c) => ({
      K: c.K,
      ari: adjustedRandIndex(c.labels, truth),
      nmi: normalizedMutualInfo(c.labels, truth),
    }));
    const at = byK.find((b) => b.K === Kshow)!;
    skills = { K: Kshow, ariSkills: at.ari, nmiSkills: at.nmi, byK, skillsPresent: new Set(truth).size };
  }
  const source = {
    kind: 'lm-run',
    path: lm.dir,
    width,
    parameters: model.parameters,
    lossThreshold: o.lossThreshold,
    candidates: sel.candidates,
    every: sel.every,
    rows: sel.rows,
    inductionExcluded: lm.inductionExcluded,
    layers: config.layers ?? 'all',
    cosine: config.cosine,
  };
  const files = writeClusterFiles(out, analysis, {
    source,
    purity,
    ...(skills ? { skills } : {}),
    clustersShown: views.slice(0, o.showClusters).map((v) => ({
      rank: v.rank,
      size: v.size,
      topToken: v.topToken,
      tokenPurity: v.tokenPurity,
      topTag: v.topTag,
      tagPurity: v.tagPurity,
      rows: v.rows,
    })),
  });
  const image = similarityPng(result.affinity!, S, orderByCluster(clustering.labels));
  writeFileAtomic(join(out, 'similarity-by-cluster.png'), image.png);
  const clusterHtml = views
    .slice(0, o.showClusters)
    .map(
      (v) =>
        `<h3>Cluster ${v.rank} (${v.size} tokens): predicted "${escapeHtml(v.topToken)}" ${(100 * v.tokenPurity).toFixed(0)}%, ` +
        `tag ${escapeHtml(v.topTag)} ${(100 * v.tagPurity).toFixed(0)}%</h3>\n<ul>` +
        v.rows
          .slice(0, 10)
          .map((p) => `<li>${contextHtml(data.test, p)}</li>`)
          .join('') +
        '</ul>',
    )
    .join('\n');
  const html = htmlPage({
    title: `QDG on tokens: width-${width} language model (${model.parameters} parameters)`,
    intro:
      `${S} test tokens with loss below ${o.lossThreshold} nats, not completing a trigram seen earlier in their text ` +
      `(${S} of ${sel.candidates} candidates, spread evenly); ${gradientDescription(config)} (factored Gram)` +
      `${config.cosine === 'abs' ? ', affinity of |cos|' : ''}; ` +
      `${config.nInit} k-means restarts per K; one Lanczos eigensolve for K = ${config.maxClusters}.`,
    sections: [
      {
        title: 'Rank-frequency of cluster sizes (Fig. 5 right)',
        svgs: [await rankFrequencySvg(analysis, { title: 'Token clusters' })],
        caption:
          `Envelope slope ${analysis.fit.envelopeSlope.toFixed(3)} over ranks ${analysis.fit.window.first}..${analysis.fit.window.last}; ` +
          `prediction -(1 + alpha_N) = ${analysis.predictedSlope.toFixed(3)} with alpha_N = ${config.alphaN.toFixed(4)} ` +
          `(this family's: ${lm.alphaN.toFixed(4)}; Pythia: slope -1.237 against -1.083).`,
      },
      {
        title: `Similarity ordered by the K = ${Kshow} clusters (Fig. 5 left)`,
        svgs: await similaritySvgs([
          { file: 'similarity-by-cluster.png', caption: '', image, ordering: `the K = ${Kshow} clusters` },
        ]),
      },
      {
        title: 'Are clusters skills? Purity in part-of-speech tag and predicted token',
        html: htmlTable(
          ['measure', `clusters (K = ${Kshow})`, 'random clusters of the same sizes'],
          [
            ['tag purity', purity.tag, purity.tagRandom],
            ['predicted-token purity', purity.token, purity.tokenRandom],
          ],
          3,
        ),
        caption:
          'Purity: the share of each cluster held by its most common value, weighted by cluster size. Beyond the paper.',
      },
      ...(skills
        ? [
            {
              title: 'Clusters against the true skills (skills language)',
              html: htmlTable(
                ['K', 'ARI', 'NMI'],
                skills.byK.map((b) => [b.K, b.ari, b.nmi]),
                3,
              ),
              caption:
                `Adjusted Rand index and normalised mutual information of each clustering against the tokens' true ` +
                `skills (${skills.skillsPresent} among the clustered tokens: each monogenic skill, polygenic, and ` +
                `the irreducible kinds). A tag above is a token's true skill.`,
            },
          ]
        : []),
      { title: `Largest clusters (K = ${Kshow}; Figs. 1 and 13)`, html: clusterHtml },
    ],
  });
  writeFileAtomic(join(out, 'report.html'), html);
  return { files: [...files, join(out, 'report.html')], purity, ...(skills ? { skills } : {}) };
}
