//! [`Analysis`]: the checks kept up to date edit by edit, for the language server.
//!
//! What an edit costs is what it changed, not the size of the file or of the workspace:
//!
//! - Per file: when an incremental reparse made the new document from the cached one (its
//!   [`crate::model::Lineage`] says which scenarios it read again), only those scenarios are
//!   summarised again and the others are moved in place ([`summary::update_spliced`]);
//!   placeholders are looked for again only on the lines around the edit. The other
//!   single-file checks (examples, constraints, functions, sections...) run again: they read
//!   the document's other parts, not its scenarios.
//! - The joins over scenarios (duplicate names, ids and steps, conflicts; and duplicate names
//!   and ids inside one file) keep an index from each key to the places (file, scenario) that
//!   have it. An edit removes the places of the scenarios it replaced and adds the new ones; the
//!   diagnostics are then made again only for the files that share a key with what changed
//!   (or with the edited file, whose spans moved), from the groups they are in.
//! - The other joins (constraints, requirements, dependencies) read no scenario: they run again
//!   only when some file's other parts changed.
//! - Each file's final diagnostics (suppression, levels, order) are kept, shared (`Arc`), and
//!   made again only for the files whose parts changed.
//!
//! The result is always the one [`super::check_workspace`] gives (tested by
//! `tests/analysis_incremental.rs` on random edits).

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::fxhash::{FxHasher, HashMap, HashSet};
use crate::model::Document;
use crate::workspace::Workspace;

use super::summary::{self, FileSummary};
use super::{completeness, conflicts, duplicates, Env, JoinKind};

/// A cache of the checks, for the LSP: call [`Analysis::check`] (or
/// [`Analysis::check_shared`]) with each new snapshot; what did not change is reused.
#[derive(Debug, Default)]
pub struct Analysis {
    files: HashMap<String, Cached>,
    /// File slots: the path of each (None: free).
    slots: Vec<Option<String>>,
    free: Vec<u32>,
    /// Join key hash -> the places with a key of that hash.
    index: KeyIndex,
    /// Files to finish again at the next check (their results are out of date).
    dirty: HashSet<u32>,
    /// The configuration the results were finished with.
    config: Option<Config>,
    /// Documents and texts the last [`Analysis::check`] replaced (see [`Analysis::take_retired`]).
    retired: Vec<(Arc<Document>, Arc<str>)>,
}

/// One scenario's place in a join, in one word: the join (3 bits), the file's slot (29 bits)
/// and the scenario's index (32 bits). The index holds one per scenario and join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place(u64);

impl Place {
    fn new(kind: JoinKind, slot: u32, scenario: u32) -> Place {
        Place((kind as u64) << 61 | u64::from(slot & 0x1fff_ffff) << 32 | u64::from(scenario))
    }
    fn kind(self) -> JoinKind {
        match self.0 >> 61 {
            0 => JoinKind::Name,
            1 => JoinKind::Id,
            2 => JoinKind::Steps,
            3 => JoinKind::When,
            _ => JoinKind::LocalId,
        }
    }
    fn slot(self) -> u32 {
        ((self.0 >> 32) & 0x1fff_ffff) as u32
    }
    fn scenario(self) -> u32 {
        self.0 as u32
    }
}

/// The key index, in shards by the top bits of the hash: opening a workspace adds every
/// scenario's places (about 100,000 on 30,000 scenarios), each shard on a core of its own.
#[derive(Debug)]
struct KeyIndex {
    shards: Vec<HashMap<u64, Bucket>>,
}

const SHARD_BITS: u32 = 4;

/// Adding more places than this at once is done on every core (spawning costs more for the
/// few of an edit).
const PARALLEL_PLACES: usize = 20_000;

fn shard_of(h: u64) -> usize {
    (h >> (64 - SHARD_BITS)) as usize
}

impl Default for KeyIndex {
    fn default() -> KeyIndex {
        KeyIndex {
            shards: (0..1 << SHARD_BITS).map(|_| HashMap::default()).collect(),
        }
    }
}

impl KeyIndex {
    fn get(&self, h: &u64) -> Option<&Bucket> {
        self.shards[shard_of(*h)].get(h)
    }
    fn entry(&mut self, h: u64) -> std::collections::hash_map::Entry<'_, u64, Bucket> {
        self.shards[shard_of(h)].entry(h)
    }
    fn reserve(&mut self, places: usize) {
        let each = places >> SHARD_BITS;
        for s in &mut self.shards {
            s.reserve(each);
        }
    }
}

impl std::ops::Index<&u64> for KeyIndex {
    type Output = Bucket;
    fn index(&self, h: &u64) -> &Bucket {
        &self.shards[shard_of(*h)][h]
    }
}

/// The places with one key hash: most keys have one (no allocation for those).
#[derive(Debug)]
enum Bucket {
    One(Place),
    Many(Vec<Place>),
}

impl Default for Bucket {
    fn default() -> Bucket {
        Bucket::Many(Vec::new())
    }
}

impl std::ops::Deref for Bucket {
    type Target = [Place];
    fn deref(&self) -> &[Place] {
        match self {
            Bucket::One(p) => std::slice::from_ref(p),
            Bucket::Many(v) => v,
        }
    }
}

impl Bucket {
    fn push(&mut self, p: Place) {
        match self {
            Bucket::Many(v) if v.is_empty() => *self = Bucket::One(p),
            Bucket::One(a) => *self = Bucket::Many(vec![*a, p]),
            Bucket::Many(v) => v.push(p),
        }
    }
    fn retain(&mut self, keep: impl Fn(&Place) -> bool) {
        match self {
            Bucket::One(a) => {
                if !keep(a) {
                    *self = Bucket::Many(Vec::new());
                }
            }
            Bucket::Many(v) => {
                v.retain(|p| keep(p));
                if let [one] = v[..] {
                    *self = Bucket::One(one);
                }
            }
        }
    }
}

/// One file's results and what they were computed from.
#[derive(Debug)]
struct Cached {
    doc: Arc<Document>,
    text: Arc<str>,
    slot: u32,
    summary: Box<FileSummary>,
    /// The single-file checks after the duplicates and before the placeholders (requirement
    /// ids, example rows, constraints, completeness), the placeholders, and those after them.
    before: Vec<Diagnostic>,
    placeholders: Vec<Diagnostic>,
    after: Vec<Diagnostic>,
    /// The index keys (hashes) of the groups of at least two places this file has a place in
    /// (a superset: pruned when read).
    shared: HashSet<u64>,
    /// The joins that read no scenario: this file's part.
    other: Vec<Diagnostic>,
    result: Arc<Vec<Diagnostic>>,
}

/// What the per-file stage gives for one file.
struct Checked {
    summary: Box<FileSummary>,
    /// The scenarios summarised again (None: all of them).
    changed: Option<Range<usize>>,
    /// Whether anything but the scenarios changed in the summary.
    other_changed: bool,
    before: Vec<Diagnostic>,
    placeholders: Vec<Diagnostic>,
    after: Vec<Diagnostic>,
}

/// The previous results of a file being checked again.
struct Prev {
    doc: Arc<Document>,
    text: Arc<str>,
    summary: Box<FileSummary>,
    placeholders: Vec<Diagnostic>,
    shared: HashSet<u64>,
    other: Vec<Diagnostic>,
}

/// The places of scenarios `range` of the summary of the file in `slot`, each with its key's
/// hash, in the order the index takes them (by scenario, then join).
fn place_hashes(s: &FileSummary, slot: u32, range: Range<usize>) -> Vec<(u64, Place)> {
    let mut out = Vec::with_capacity(range.len() * JoinKind::ALL.len());
    for si in range {
        let Some(sc) = s.scenarios.get(si) else { break };
        for kind in JoinKind::ALL {
            if let Some(key) = kind.key(s, sc) {
                out.push((key_hash(kind, key), Place::new(kind, slot, si as u32)));
            }
        }
    }
    out
}

fn key_hash(kind: JoinKind, key: (&str, &str)) -> u64 {
    let mut h = FxHasher::default();
    kind.hash(&mut h);
    key.hash(&mut h);
    h.finish()
}

/// Everything of two summaries but the scenarios is the same.
fn same_outside_scenarios(a: &FileSummary, b: &FileSummary) -> bool {
    let FileSummary {
        path,
        name,
        feature,
        aliases,
        domain_aliases,
        scenarios: _,
        constraints,
        dependencies,
        domains,
        mentions,
        unexercised,
        functions_io,
        workflow,
    } = a;
    *path == b.path
        && *name == b.name
        && *feature == b.feature
        && *aliases == b.aliases
        && *domain_aliases == b.domain_aliases
        && *constraints == b.constraints
        && *dependencies == b.dependencies
        && *domains == b.domains
        && *mentions == b.mentions
        && *unexercised == b.unexercised
        && *functions_io == b.functions_io
        && *workflow == b.workflow
}

/// The per-file stage: the summary and the single-file checks but the duplicates of names and
/// ids (which come from the index). `splice`: the scenarios the reparse read again and how far
/// those after them moved, when it made `doc` from the previous document.
fn check_one(
    doc: &Document,
    text: &str,
    env: &Env,
    prev: Option<Prev>,
    splice: Option<(Range<usize>, isize)>,
) -> Checked {
    let unexercised = completeness::unexercised_requirements(doc);
    let mut placeholders = None;
    let (mut summary, changed, other_changed) = match (prev, splice) {
        (Some(mut p), Some((range, delta))) => {
            let old_unexercised = std::mem::take(&mut p.summary.unexercised);
            let same = summary::update_in_place(&mut p.summary, doc, text, range.clone(), delta);
            // The text is the same outside the scenarios read again.
            let n = p.doc.scenarios.len();
            let from = match range.start {
                0 => 0,
                i => p.doc.scenarios[i - 1].span.end,
            };
            let to = match range.end {
                e if e == n => p.text.len(),
                e => p.doc.scenarios[e].span.start,
            };
            let moved = text.len() as isize - p.text.len() as isize;
            placeholders = Some(completeness::placeholders_after_edit(
                doc,
                text,
                std::mem::take(&mut p.placeholders),
                (from, to),
                moved,
            ));
            let other_changed = !same || old_unexercised != unexercised;
            (p.summary, Some(range), other_changed)
        }
        (Some(p), None) => {
            let mut s = summary::summarize(doc, text);
            s.unexercised = unexercised.clone();
            let other_changed = !same_outside_scenarios(&p.summary, &s);
            (Box::new(s), None, other_changed)
        }
        (None, _) => (Box::new(summary::summarize(doc, text)), None, true),
    };
    summary.unexercised = unexercised;
    let mut before = Vec::new();
    duplicates::requirement_duplicates(doc, &mut before);
    super::conflicts::check_examples(doc, &mut before);
    super::constraints::check_document(doc, text, &mut before);
    completeness::check_document_but_placeholders(doc, text, &mut before);
    let placeholders = placeholders.unwrap_or_else(|| completeness::placeholders(doc, text));
    let mut after = Vec::new();
    super::arrangement::check_document(doc, text, env, &mut after);
    Checked {
        summary,
        changed,
        other_changed,
        before,
        placeholders,
        after,
    }
}

impl Analysis {
    pub fn new() -> Analysis {
        Analysis::default()
    }

    /// Forget a file's cached results (for example when the environment changed).
    pub fn invalidate(&mut self, path: &str) {
        self.forget(path);
    }

    /// Forget everything (for example after PATH changed).
    pub fn clear(&mut self) {
        let retired = std::mem::take(&mut self.retired);
        *self = Analysis {
            retired,
            ..Analysis::default()
        };
    }

    /// The documents and texts the last [`Analysis::check`] replaced in the cache. Freeing a
    /// big document takes a while (thousands of scenarios); a caller in a hurry takes them and
    /// frees them later, elsewhere. Those not taken are freed by the next check.
    pub fn take_retired(&mut self) -> Vec<(Arc<Document>, Arc<str>)> {
        std::mem::take(&mut self.retired)
    }

    /// The cached summary of a file, if checked.
    pub fn summary(&self, path: &str) -> Option<&FileSummary> {
        self.files.get(path).map(|c| &*c.summary)
    }

    /// Bring the cache up to date with `ws` and return every diagnostic per path.
    pub fn check(
        &mut self,
        ws: &Workspace,
        config: &Config,
        env: &Env,
    ) -> BTreeMap<String, Vec<Diagnostic>> {
        self.check_shared(ws, config, env)
            .into_iter()
            .map(|(k, v)| (k, v.as_ref().clone()))
            .collect()
    }

    /// [`Analysis::check`] with each file's diagnostics shared: a file whose diagnostics did
    /// not change has the same `Arc` as in the previous result.
    pub fn check_shared(
        &mut self,
        ws: &Workspace,
        config: &Config,
        env: &Env,
    ) -> BTreeMap<String, Arc<Vec<Diagnostic>>> {
        self.retired.clear();
        if self.config.as_ref() != Some(config) {
            self.config = Some(config.clone());
            let all: Vec<u32> = self.files.values().map(|c| c.slot).collect();
            self.dirty.extend(all);
        }
        let mut other_changed = false;
        // Files gone: none when every file of the workspace is cached and there are as many
        // (found without looking each cached file up in the workspace, which is sorted by path
        // and slower to search).
        let all_cached = self.files.len() == ws.files.len()
            && ws.files.keys().all(|p| self.files.contains_key(p));
        let gone: Vec<String> = if all_cached {
            Vec::new()
        } else {
            self.files
                .keys()
                .filter(|p| !ws.files.contains_key(*p))
                .cloned()
                .collect()
        };
        for p in gone {
            other_changed = true;
            self.forget(&p);
        }
        // The files to check again, each with its previous results; their old places leave
        // the index (all of them, or those of the scenarios the reparse read again).
        let mut stale = Vec::new();
        for (path, file) in &ws.files {
            let slot = match self.files.get(path) {
                Some(c) if Arc::ptr_eq(&c.doc, &file.doc) => continue,
                Some(c) => c.slot,
                None => {
                    other_changed = true;
                    self.new_slot(path)
                }
            };
            let mut splice = None;
            let prev = self.files.remove(path).map(|c| {
                splice = summary::spliced(&c.doc, &file.doc)
                    .filter(|_| c.summary.feature == crate::model::slug(&file.doc.name))
                    .filter(|_| c.summary.scenarios.len() == c.doc.scenarios.len());
                let range = match &splice {
                    Some((r, _)) => r.clone(),
                    None => 0..c.summary.scenarios.len(),
                };
                self.unindex(c.slot, &c.summary, range);
                self.shared_files(&c.shared);
                Prev {
                    doc: c.doc,
                    text: c.text,
                    summary: c.summary,
                    placeholders: c.placeholders,
                    shared: c.shared,
                    other: c.other,
                }
            });
            self.dirty.insert(slot);
            stale.push(std::sync::Mutex::new(Some((
                path, file, slot, prev, splice,
            ))));
        }
        // The per-file stage, on every core (opening a workspace checks every file).
        let checked = crate::par::map(&stale, |job| {
            let (path, file, slot, mut prev, splice) = job.lock().ok()?.take()?;
            let retired = prev.as_ref().map(|p| (p.doc.clone(), p.text.clone()));
            let (shared, other) = prev
                .as_mut()
                .map(|p| (std::mem::take(&mut p.shared), std::mem::take(&mut p.other)))
                .unwrap_or_default();
            let c = check_one(&file.doc, &file.text, env, prev, splice);
            // The new places' key hashes, here on every core (the index takes them in order).
            let range = c.changed.clone().unwrap_or(0..c.summary.scenarios.len());
            let places = place_hashes(&c.summary, slot, range);
            Some((path, file, slot, c, shared, other, retired, places))
        });
        let mut added = Vec::new();
        for (path, file, slot, c, shared, other, retired, places) in checked.into_iter().flatten() {
            self.retired.extend(retired);
            other_changed |= c.other_changed;
            added.push((slot, places));
            self.files.insert(
                path.clone(),
                Cached {
                    doc: file.doc.clone(),
                    text: file.text.clone(),
                    slot,
                    summary: c.summary,
                    before: c.before,
                    placeholders: c.placeholders,
                    after: c.after,
                    shared,
                    other,
                    result: Arc::new(Vec::new()),
                },
            );
        }
        // The new places join the index (grown once: opening a workspace adds every place).
        let places: usize = added.iter().map(|(_, p)| p.len()).sum();
        self.index.reserve(places);
        if places > PARALLEL_PLACES {
            self.index_many(added);
        } else {
            for (slot, places) in added {
                self.index_places(slot, places);
            }
        }
        // The joins that read no scenario, when some file's other parts changed.
        if other_changed {
            self.other_joins();
        }
        // Finish the files whose parts changed.
        // Each is a pure function of the index and the parts: on every core (opening a
        // workspace finishes every file), then stored.
        let dirty: Vec<u32> = self.dirty.drain().collect();
        let this = &*self;
        let finished = crate::par::map(&dirty, |&slot| this.finished(slot, config));
        for (path, keep, result) in finished.into_iter().flatten() {
            let Some(c) = self.files.get_mut(&path) else {
                continue;
            };
            c.shared = keep;
            if *c.result != result {
                c.result = Arc::new(result);
            }
        }
        // In the workspace's order: the map is built at once.
        ws.files
            .keys()
            .filter_map(|path| Some((path.clone(), self.files.get(path)?.result.clone())))
            .collect()
    }

    fn new_slot(&mut self, path: &str) -> u32 {
        match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(path.to_string());
                s
            }
            None => {
                self.slots.push(Some(path.to_string()));
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// Take a file out of the cache and the index; the files it shared a group with are
    /// finished again at the next check.
    fn forget(&mut self, path: &str) {
        let Some(c) = self.files.remove(path) else {
            return;
        };
        let n = c.summary.scenarios.len();
        self.unindex(c.slot, &c.summary, 0..n);
        self.shared_files(&c.shared);
        self.dirty.remove(&c.slot);
        self.slots[c.slot as usize] = None;
        self.free.push(c.slot);
        self.retired.push((c.doc, c.text));
    }

    /// Mark dirty every file with a place in these groups.
    fn shared_files(&mut self, shared: &HashSet<u64>) {
        for h in shared {
            if let Some(places) = self.index.get(h) {
                self.dirty.extend(places.iter().map(|p| p.slot()));
            }
        }
    }

    /// Remove the places of scenarios `range` of a file (slot, summary) from the index; the
    /// files in the groups they leave are finished again.
    fn unindex(&mut self, slot: u32, s: &FileSummary, range: Range<usize>) {
        // The groups they are in, once each: a group can hold thousands of places (a big
        // file of copies), each visited once, not once per place taken out.
        let touched: HashSet<u64> = place_hashes(s, slot, range.clone())
            .into_iter()
            .map(|(h, _)| h)
            .collect();
        let (from, to) = (range.start as u32, range.end as u32);
        for h in touched {
            let std::collections::hash_map::Entry::Occupied(mut e) = self.index.entry(h) else {
                continue;
            };
            let places = e.get_mut();
            let had = places.len();
            places.retain(|p| !(p.slot() == slot && (from..to).contains(&p.scenario())));
            if had > 1 {
                self.dirty.extend(places.iter().map(|p| p.slot()));
            }
            if places.is_empty() {
                e.remove();
            }
        }
    }

    /// Add the places of the file in `slot` (see [`place_hashes`]) to the index.
    fn index_places(&mut self, slot: u32, new: Vec<(u64, Place)>) {
        if self.slots[slot as usize].is_none() {
            return;
        }
        // The groups that got a second place, once each.
        let mut joined: HashSet<u64> = HashSet::default();
        for (h, place) in new {
            let places = self.index.entry(h).or_default();
            places.push(place);
            if places.len() > 1 {
                joined.insert(h);
            }
        }
        self.joined(joined);
    }

    /// [`Analysis::index_places`] of many files, in their order, each shard of the index on a
    /// core: every bucket gets its places in the same order, and the groups that got a second
    /// place are the same.
    fn index_many(&mut self, added: Vec<(u32, Vec<(u64, Place)>)>) {
        let slots = &self.slots;
        let added: Vec<&Vec<(u64, Place)>> = added
            .iter()
            .filter(|(slot, _)| slots[*slot as usize].is_some())
            .map(|(_, places)| places)
            .collect();
        // Each shard handed to the core that fills it (taken out of its slot there).
        type Shard = std::sync::Mutex<Option<HashMap<u64, Bucket>>>;
        let shards: Vec<Shard> = std::mem::take(&mut self.index.shards)
            .into_iter()
            .map(|s| std::sync::Mutex::new(Some(s)))
            .collect();
        let numbered: Vec<(usize, &Shard)> = shards.iter().enumerate().collect();
        let filled = crate::par::map(&numbered, |(i, shard)| {
            let mut map = shard
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_default();
            let mut joined = Vec::new();
            for places in &added {
                for &(h, place) in places.iter() {
                    if shard_of(h) != *i {
                        continue;
                    }
                    let bucket = map.entry(h).or_default();
                    bucket.push(place);
                    if bucket.len() > 1 {
                        joined.push(h);
                    }
                }
            }
            (map, joined)
        });
        let mut joined: HashSet<u64> = HashSet::default();
        for (map, j) in filled {
            self.index.shards.push(map);
            joined.extend(j);
        }
        self.joined(joined);
    }

    /// Every file with a place in these groups shares them, and is finished again.
    fn joined(&mut self, joined: HashSet<u64>) {
        for h in joined {
            let mut slots: Vec<u32> = self.index[&h].iter().map(|p| p.slot()).collect();
            slots.sort_unstable();
            slots.dedup();
            for other in slots {
                self.dirty.insert(other);
                if let Some(p) = self.slots[other as usize].clone() {
                    if let Some(c) = self.files.get_mut(&p) {
                        c.shared.insert(h);
                    }
                }
            }
        }
    }

    /// Constraints, requirements exercised elsewhere, dependencies: over every file, each
    /// file's part compared with the last one.
    fn other_joins(&mut self) {
        let mut paths: Vec<&String> = self.files.keys().collect();
        paths.sort();
        let summaries: Vec<&FileSummary> = paths.iter().map(|p| &*self.files[*p].summary).collect();
        let mut out = BTreeMap::new();
        super::constraints::join(&summaries, &mut out);
        completeness::join(&summaries, &mut out);
        super::dependencies::join(&summaries, &mut out);
        let paths: Vec<String> = paths.into_iter().cloned().collect();
        for path in paths {
            let diags = out.remove(&path).unwrap_or_default();
            if let Some(c) = self.files.get_mut(&path) {
                if c.other != diags {
                    c.other = diags;
                    self.dirty.insert(c.slot);
                }
            }
        }
    }

    fn summary_of(&self, slot: u32) -> &FileSummary {
        let path = self.slots[slot as usize]
            .as_ref()
            .expect("a file in the index");
        &self.files[path].summary
    }

    /// The diagnostics of the file in `slot` made again from its parts and its groups: its
    /// path, the groups it still shares, and the diagnostics.
    fn finished(
        &self,
        slot: u32,
        config: &Config,
    ) -> Option<(String, HashSet<u64>, Vec<Diagnostic>)> {
        let path = self.slots.get(slot as usize)?.as_ref()?;
        let c = self.files.get(path)?;
        // The groups of this file, each split by actual key (a hash may be shared), in the
        // workspace's order.
        let mut keep = HashSet::default();
        let mut groups: Vec<(JoinKind, Vec<(usize, usize)>)> = Vec::new();
        for h in &c.shared {
            let Some(places) = self.index.get(h) else {
                continue;
            };
            if places.len() < 2 || !places.iter().any(|p| p.slot() == slot) {
                continue;
            }
            keep.insert(*h);
            let mut sorted: Vec<(JoinKind, &str, usize, u32)> = places
                .iter()
                .map(|p| {
                    let path = self.slots[p.slot() as usize].as_deref().unwrap_or("");
                    (p.kind(), path, p.scenario() as usize, p.slot())
                })
                .collect();
            sorted.sort();
            let mut split: Vec<(JoinKind, Vec<(usize, usize)>)> = Vec::new();
            for (kind, _, si, s) in sorted {
                let f = self.summary_of(s);
                let key = kind.key(f, &f.scenarios[si]);
                let same = split.iter_mut().find(|(k, g)| {
                    let (fs, ss) = g[0];
                    let f0 = self.summary_of(fs as u32);
                    *k == kind && kind.key(f0, &f0.scenarios[ss]) == key
                });
                match same {
                    Some((_, g)) => g.push((s as usize, si)),
                    None => split.push((kind, vec![(s as usize, si)])),
                }
            }
            groups.extend(
                split
                    .into_iter()
                    .filter(|(_, g)| g.len() > 1 && g.iter().any(|p| p.0 == slot as usize)),
            );
        }
        let order = |g: &(JoinKind, Vec<(usize, usize)>)| {
            let (s, si) = g.1[0];
            (g.0, self.slots[s].as_deref().unwrap_or(""), si)
        };
        groups.sort_by(|a, b| order(a).cmp(&order(b)));
        let file = |s: usize| self.summary_of(s as u32);
        // Whether a name (key) is in use in this file (only this file's diagnostics are made
        // here, so only its names are asked for): the name join of the index holds every
        // scenario with a name, so a rename fix looks its candidates up there rather than
        // gathering the file's names (thousands, at each keystroke in a big file).
        let feature = c.summary.feature.as_str();
        let index = &self.index;
        let taken_here = |k: &str| {
            if k.is_empty() {
                return c.summary.scenarios.iter().any(|x| x.name_key.is_empty());
            }
            index
                .get(&key_hash(JoinKind::Name, (feature, k)))
                .is_some_and(|places| {
                    places.iter().any(|p| {
                        p.kind() == JoinKind::Name
                            && p.slot() == slot
                            && c.summary
                                .scenarios
                                .get(p.scenario() as usize)
                                .is_some_and(|x| x.name_key == k)
                    })
                })
        };
        let taken = |_: usize, k: &str| taken_here(k);
        let doc = &c.doc;
        let text = &c.text;
        let me = slot as usize;
        // Inside the file: names, then ids, by scenario.
        let mut names: Vec<(usize, usize)> = Vec::new();
        let mut ids: Vec<(usize, usize)> = Vec::new();
        for (kind, g) in &groups {
            let mine: Vec<usize> = g.iter().filter(|p| p.0 == me).map(|p| p.1).collect();
            let Some((&first, rest)) = mine.split_first() else {
                continue;
            };
            match kind {
                JoinKind::Name => names.extend(rest.iter().map(|&i| (i, first))),
                JoinKind::LocalId => ids.extend(rest.iter().map(|&i| (i, first))),
                _ => {}
            }
        }
        names.sort_unstable();
        ids.sort_unstable();
        let mut diags = doc.diagnostics.clone();
        let keys = |i: usize| c.summary.scenarios[i].name_key.as_str();
        for (i, first) in names {
            diags.push(duplicates::name_duplicate(doc, text, i, first, &taken_here));
        }
        for (i, first) in ids {
            diags.extend(duplicates::id_duplicate(
                doc,
                keys(first) == keys(i),
                i,
                first,
            ));
        }
        diags.extend(c.before.iter().cloned());
        diags.extend(c.placeholders.iter().cloned());
        diags.extend(c.after.iter().cloned());
        // Across files.
        let mut push = |_: usize, d: Diagnostic| diags.push(d);
        for (kind, g) in &groups {
            match kind {
                JoinKind::Name | JoinKind::Id | JoinKind::Steps => {
                    duplicates::group(*kind, g, &file, Some(me), &taken, &mut push)
                }
                JoinKind::When => conflicts::group(g, &file, Some(me), &mut push),
                JoinKind::LocalId => {}
            }
        }
        diags.extend(c.other.iter().cloned());
        let result = super::finish(doc, diags, config);
        Some((path.clone(), keep, result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Corpus, Format, Shape};

    /// A workspace with more places than [`PARALLEL_PLACES`] is indexed a shard per core, and
    /// checks as a full check does; so it does after files that share groups with others leave
    /// and come back (one file at a time, on the groups the parallel index recorded).
    #[test]
    fn a_workspace_indexed_on_every_core_checks_as_a_full_check() {
        let config = Config::default();
        let env = Env::default();
        for format in [Format::Yaml, Format::Markdown] {
            let corpus = Corpus::generate(format, Shape::new(200, 50, 1));
            let mut ws = Workspace::new();
            for f in &corpus.files {
                ws.upsert_bytes_with(&f.path, f.text.as_bytes(), &config);
            }
            let mut analysis = Analysis::new();
            let got = analysis.check(&ws, &config, &env);
            let places: usize = analysis
                .index
                .shards
                .iter()
                .map(|s| s.values().map(|b| b.len()).sum::<usize>())
                .sum();
            assert!(places > PARALLEL_PLACES, "{places} places");
            let full = super::super::check_workspace(&ws, &config);
            assert!(full
                .values()
                .any(|d| d.iter().any(|d| !d.related.is_empty())));
            assert_eq!(got, full, "{format:?}");
            let files: Vec<(String, String)> = corpus
                .files
                .iter()
                .take(3)
                .map(|f| (f.path.clone(), f.text.clone()))
                .collect();
            for (path, _) in &files {
                ws.files.remove(path);
            }
            assert_eq!(
                analysis.check(&ws, &config, &env),
                super::super::check_workspace(&ws, &config),
                "{format:?}, 3 files removed"
            );
            for (path, text) in &files {
                ws.upsert_bytes_with(path, text.as_bytes(), &config);
            }
            assert_eq!(analysis.check(&ws, &config, &env), full, "{format:?}, back");
        }
    }
}
