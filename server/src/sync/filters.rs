//! A configuration's filters, compiled once per job: file types, exclude globs,
//! size limit and modified-after date, plus "include subfolders".

use app::model::{Filters, SkipReason, Timestamp};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::providers::RemoteItem;

/// Largest file ever synced when a configuration sets no limit.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct CompiledFilters {
    file_types: Vec<String>,
    excludes: GlobSet,
    max_bytes: u64,
    modified_after: Option<Timestamp>,
}

/// Checks filters a user submitted; the message names the bad value.
pub fn validate(filters: &Filters) -> Result<(), String> {
    CompiledFilters::new(filters).map(|_| ())
}

impl CompiledFilters {
    pub fn new(filters: &Filters) -> Result<Self, String> {
        let mut builder = GlobSetBuilder::new();
        for pattern in &filters.exclude_patterns {
            let pattern = pattern.trim();
            if pattern.is_empty() {
                continue;
            }
            let glob = Glob::new(pattern).map_err(|e| {
                format!("filters.exclude_patterns: {pattern:?} is not a valid glob: {e}")
            })?;
            builder.add(glob);
        }
        let excludes = builder.build().map_err(|e| format!("filters.exclude_patterns: {e}"))?;
        let file_types = filters
            .file_types
            .iter()
            .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        if filters.max_file_size_mb == Some(0) {
            return Err("filters.max_file_size_mb must be at least 1".into());
        }
        Ok(Self {
            file_types,
            excludes,
            max_bytes: filters.max_file_size_bytes().unwrap_or(DEFAULT_MAX_FILE_BYTES),
            modified_after: filters.modified_after,
        })
    }

    /// The byte cap enforced while downloading.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Why an item is skipped, or `None` when it is synced. Decided on
    /// metadata alone (no download), so the dry run gives the same answers.
    pub fn skip_reason(&self, item: &RemoteItem) -> Option<SkipReason> {
        if !self.file_types.is_empty() {
            let extension = file_type(&item.name);
            if !self.file_types.contains(&extension) {
                return Some(SkipReason::FileType);
            }
        }
        if self.excludes.is_match(item.path.trim_start_matches('/'))
            || self.excludes.is_match(&item.path)
        {
            return Some(SkipReason::Excluded);
        }
        if item.size > self.max_bytes {
            return Some(SkipReason::TooLarge);
        }
        if let (Some(after), Some(modified)) = (self.modified_after, item.modified_at)
            && modified < after
        {
            return Some(SkipReason::TooOld);
        }
        None
    }
}

/// The lower-case extension of a name (`report.PDF` → `pdf`), or `other`.
pub fn file_type(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 10 => {
            ext.to_ascii_lowercase()
        }
        _ => "other".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &str, size: u64) -> RemoteItem {
        RemoteItem {
            id: path.into(),
            name: path.rsplit('/').next().unwrap().into(),
            path: path.into(),
            is_folder: false,
            mime_type: "application/octet-stream".into(),
            size,
            modified_at: Some(Timestamp::parse("2026-06-01T00:00:00Z").unwrap()),
            version: None,
            web_url: None,
            metadata: Default::default(),
        }
    }

    #[test]
    fn filters_skip_by_type_glob_size_and_date() {
        let filters = CompiledFilters::new(&Filters {
            file_types: vec!["PDF".into(), ".md".into()],
            exclude_patterns: vec![
                "**/node_modules/**".into(),
                "**/.git/**".into(),
                "drafts/*".into(),
            ],
            max_file_size_mb: Some(1),
            modified_after: Some(Timestamp::parse("2026-01-01T00:00:00Z").unwrap()),
        })
        .unwrap();
        assert_eq!(filters.skip_reason(&item("/Eng/spec.pdf", 10)), None);
        assert_eq!(filters.skip_reason(&item("/Eng/readme.MD", 10)), None);
        assert_eq!(filters.skip_reason(&item("/Eng/photo.jpg", 10)), Some(SkipReason::FileType));
        assert_eq!(
            filters.skip_reason(&item("/Eng/node_modules/x/a.md", 10)),
            Some(SkipReason::Excluded)
        );
        assert_eq!(filters.skip_reason(&item("/drafts/a.md", 10)), Some(SkipReason::Excluded));
        assert_eq!(
            filters.skip_reason(&item("/Eng/big.pdf", 2 * 1024 * 1024)),
            Some(SkipReason::TooLarge)
        );
        let mut old = item("/Eng/old.pdf", 10);
        old.modified_at = Some(Timestamp::parse("2025-01-01T00:00:00Z").unwrap());
        assert_eq!(filters.skip_reason(&old), Some(SkipReason::TooOld));
        assert_eq!(filters.max_bytes(), 1024 * 1024);
    }

    #[test]
    fn bad_globs_and_limits_are_explained() {
        let bad = Filters { exclude_patterns: vec!["**/[".into()], ..Default::default() };
        assert!(validate(&bad).unwrap_err().contains("not a valid glob"));
        let zero = Filters { max_file_size_mb: Some(0), ..Default::default() };
        assert!(validate(&zero).is_err());
        assert_eq!(
            CompiledFilters::new(&Filters::default()).unwrap().max_bytes(),
            DEFAULT_MAX_FILE_BYTES
        );
    }

    #[test]
    fn file_types_are_lower_case_extensions() {
        assert_eq!(file_type("archive.tar.GZ"), "gz");
        assert_eq!(file_type("Makefile"), "other");
        assert_eq!(file_type(".bashrc"), "other");
    }
}
