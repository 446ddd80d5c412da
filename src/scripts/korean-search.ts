/**
 * Korean query normalisation for Pagefind search.
 *
 * Korean attaches particles and endings to words: 컨테이너를 (object),
 * 볼륨으로 (instrument), 재시작하려면 ("in order to restart"). Pagefind splits
 * Korean on spaces, has no Korean stemmer, and matches a query word against
 * indexed words that START with it. So "컨테이너" finds 컨테이너, 컨테이너를,
 * 컨테이너는 …, but "컨테이너를" finds only pages that happen to contain that
 * exact form, and "재시작하려면" finds nothing at all.
 *
 * Fix on the query side: strip one trailing particle or verbal ending from
 * every Hangul word before Pagefind sees it (Pagefind UI's `processTerm`).
 * Whatever we strip, the stem is a prefix of what the reader typed, so
 * prefix matching still finds the exact form too: stripping can only add
 * results, never lose one. A stem keeps at least two characters, so short
 * nouns that merely end in a particle-like syllable (차이, 크기) stay whole.
 *
 * Pure and dependency-free: it is bundled into the search dialog's script.
 */

// Verbal endings after 하다/되다/시키다 ("하려면", "되는", …) and common
// endings of other verbs, longest first at match time.
const VERB_STEMS = ['하', '되', '시키'];
const VERB_ENDINGS = [
  '려면',
  '려고',
  '면',
  '기',
  '는',
  '고',
  '여',
  '게',
  '지',
  '며',
  '도록',
  '세요',
  '십시오',
  '는데',
  '니까',
  '지만',
  '기에',
  '기도',
];
const CONTRACTED = [
  '해',
  '해서',
  '해야',
  '해도',
  '했다',
  '했',
  '한',
  '할',
  '함',
  '합니다',
  '했습니다',
  '하는데',
  '된',
  '될',
  '됨',
  '돼',
  '돼서',
  '됐다',
  '되어',
  '되었다',
  '됩니다',
  '시킨',
  '시켜',
  '시킬',
  '시킵니다',
];
const OTHER_ENDINGS = ['으려면', '려면', '으면', '어서', '아서', '으니까', '니까', '지만', '도록', '려고'];

// Particles (조사), including common stacked forms.
const PARTICLES = [
  '을',
  '를',
  '이',
  '가',
  '은',
  '는',
  '의',
  '에',
  '와',
  '과',
  '도',
  '만',
  '로',
  '으로',
  '에서',
  '에게',
  '한테',
  '께',
  '까지',
  '부터',
  '마다',
  '처럼',
  '보다',
  '이나',
  '나',
  '이랑',
  '랑',
  '이란',
  '란',
  '이라는',
  '라는',
  '이며',
  '이고',
  '에는',
  '에서는',
  '에서도',
  '으로는',
  '로는',
  '으로도',
  '로도',
  '에도',
  '까지는',
  '부터는',
  '만큼',
  '밖에',
  '조차',
  '마저',
  '이든',
  '든지',
  '이든지',
  '으로서',
  '로서',
  '으로써',
  '로써',
  '와의',
  '과의',
  '에서의',
  '으로의',
  '로의',
  '에의',
];

const SUFFIXES: readonly string[] = [
  ...new Set([...VERB_STEMS.flatMap((stem) => VERB_ENDINGS.map((ending) => stem + ending)), ...CONTRACTED, ...OTHER_ENDINGS, ...PARTICLES]),
].sort((a, b) => b.length - a.length);

const HANGUL = /[\uac00-\ud7a3]/;
const MIN_STEM = 2;

/** One word without its trailing particle or ending (unchanged when none applies). */
export function stripKoreanWord(word: string): string {
  if (!HANGUL.test(word)) return word;
  for (const suffix of SUFFIXES) {
    if (word.length - suffix.length >= MIN_STEM && word.endsWith(suffix)) {
      return word.slice(0, -suffix.length);
    }
  }
  return word;
}

/** A whole query: each space-separated word is stripped; spacing is normalised. */
export function normalizeKoreanQuery(query: string): string {
  return query.trim().split(/\s+/).filter(Boolean).map(stripKoreanWord).join(' ');
}
