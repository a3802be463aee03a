//! [`UidSet`]: a set of message UIDs as sorted, merged ranges, in IMAP's own
//! compact notation (`1:5,7,9:12`), used for VANISHED responses, SEARCH results
//! and the fallback cursor's record of what the last run saw.

use std::fmt;

/// Sorted, non-overlapping, non-adjacent inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UidSet {
    ranges: Vec<(u32, u32)>,
}

impl UidSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a set from UIDs in any order (duplicates are fine).
    pub fn from_uids(uids: impl IntoIterator<Item = u32>) -> Self {
        let mut uids: Vec<u32> = uids.into_iter().filter(|u| *u > 0).collect();
        uids.sort_unstable();
        uids.dedup();
        let mut set = Self::new();
        for uid in uids {
            set.push_sorted(uid, uid);
        }
        set
    }

    /// Parses `1:5,7,9:12`; ranges may be reversed (`5:1`). `*` is refused:
    /// a stored or reported set always names its ends.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return Some(Self::new());
        }
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let (low, high) = match part.split_once(':') {
                Some((a, b)) => (parse_uid(a)?, parse_uid(b)?),
                None => {
                    let uid = parse_uid(part)?;
                    (uid, uid)
                }
            };
            ranges.push((low.min(high), low.max(high)));
        }
        ranges.sort_unstable();
        let mut set = Self::new();
        for (low, high) in ranges {
            set.push_sorted(low, high);
        }
        Some(set)
    }

    /// Appends a range that starts at or after the start of the last one.
    fn push_sorted(&mut self, low: u32, high: u32) {
        if let Some(last) = self.ranges.last_mut()
            && low <= last.1.saturating_add(1)
        {
            last.1 = last.1.max(high);
            return;
        }
        self.ranges.push((low, high));
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// How many UIDs the set holds.
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|(l, h)| u64::from(h - l) + 1).sum()
    }

    pub fn contains(&self, uid: u32) -> bool {
        self.ranges
            .binary_search_by(|&(low, high)| {
                if high < uid {
                    std::cmp::Ordering::Less
                } else if low > uid {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }

    pub fn max(&self) -> Option<u32> {
        self.ranges.last().map(|r| r.1)
    }

    /// Every UID in ascending order. Callers bound the set's [`len`](Self::len) first.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.ranges.iter().flat_map(|&(low, high)| low..=high)
    }

    /// The UIDs of `self` that are not in `other`.
    pub fn difference(&self, other: &UidSet) -> UidSet {
        let mut out = UidSet::new();
        let mut theirs = other.ranges.iter().peekable();
        for &(low, high) in &self.ranges {
            // `None` once `other` covers the rest of this range.
            let mut start = Some(low);
            while let (Some(from), Some(&&(o_low, o_high))) = (start, theirs.peek()) {
                if o_high < from {
                    theirs.next();
                    continue;
                }
                if o_low > high {
                    break;
                }
                if o_low > from {
                    out.push_sorted(from, o_low - 1);
                }
                if o_high >= high {
                    // It may cover the next range too: keep it.
                    start = None;
                    break;
                }
                start = Some(o_high + 1);
                theirs.next();
            }
            if let Some(from) = start {
                out.push_sorted(from, high);
            }
        }
        out
    }

    /// The UIDs in either set.
    pub fn union(&self, other: &UidSet) -> UidSet {
        let mut all: Vec<(u32, u32)> = self.ranges.iter().chain(&other.ranges).copied().collect();
        all.sort_unstable();
        let mut out = UidSet::new();
        for (low, high) in all {
            out.push_sorted(low, high);
        }
        out
    }

    /// The UIDs of `self` that are at most `max`.
    pub fn up_to(&self, max: u32) -> UidSet {
        let mut out = UidSet::new();
        for &(low, high) in &self.ranges {
            if low > max {
                break;
            }
            out.push_sorted(low, high.min(max));
        }
        out
    }

    /// The UIDs of `self` that are greater than `min`.
    pub fn above(&self, min: u32) -> UidSet {
        let mut out = UidSet::new();
        for &(low, high) in &self.ranges {
            if high > min {
                out.push_sorted(low.max(min.saturating_add(1)), high);
            }
        }
        out
    }

    /// The first `n` UIDs of the set and the rest.
    pub fn split_first(&self, n: u64) -> (UidSet, UidSet) {
        let mut head = UidSet::new();
        let mut tail = UidSet::new();
        let mut left = n;
        for &(low, high) in &self.ranges {
            let size = u64::from(high - low) + 1;
            if left == 0 {
                tail.ranges.push((low, high));
            } else if size <= left {
                head.ranges.push((low, high));
                left -= size;
            } else {
                // left < size <= u32::MAX, so the cast is lossless.
                let cut = low + (left as u32) - 1;
                head.ranges.push((low, cut));
                tail.ranges.push((cut + 1, high));
                left = 0;
            }
        }
        (head, tail)
    }
}

fn parse_uid(text: &str) -> Option<u32> {
    let uid: u32 = text.trim().parse().ok()?;
    (uid > 0).then_some(uid)
}

impl fmt::Display for UidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (low, high)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if low == high {
                write!(f, "{low}")?;
            } else {
                write!(f, "{low}:{high}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_become_compact_ranges_and_back() {
        let set = UidSet::from_uids([9, 1, 2, 3, 4, 5, 7, 10, 11, 12, 3]);
        assert_eq!(set.to_string(), "1:5,7,9:12");
        assert_eq!(set.len(), 10);
        assert_eq!(UidSet::parse("1:5,7,9:12"), Some(set.clone()));
        assert_eq!(UidSet::parse("12:9,7,1:3,2:5"), Some(set.clone()));
        assert!(set.contains(7) && set.contains(12) && !set.contains(6) && !set.contains(13));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 7, 9, 10, 11, 12]);
        assert_eq!(UidSet::parse(""), Some(UidSet::new()));
        assert_eq!(UidSet::parse("1:*"), None);
        assert_eq!(UidSet::parse("0"), None);
        assert_eq!(UidSet::parse("1,,2"), None);
        assert_eq!(UidSet::parse("4294967295").map(|s| s.len()), Some(1));
    }

    #[test]
    fn set_algebra_matches_the_naive_version() {
        let a = UidSet::parse("1:10,20:30,40").unwrap();
        let b = UidSet::parse("3,5:7,10:21,29:45").unwrap();
        let naive: Vec<u32> = a.iter().filter(|u| !b.contains(*u)).collect();
        assert_eq!(a.difference(&b).iter().collect::<Vec<_>>(), naive);
        assert_eq!(a.difference(&b).to_string(), "1:2,4,8:9,22:28");
        assert_eq!(a.difference(&UidSet::new()), a);
        assert_eq!(UidSet::new().difference(&a), UidSet::new());
        assert_eq!(a.union(&b).to_string(), "1:45");
        assert_eq!(a.union(&UidSet::parse("12,50").unwrap()).to_string(), "1:10,12,20:30,40,50");
        assert_eq!(a.up_to(25).to_string(), "1:10,20:25");
        assert_eq!(a.above(25).to_string(), "26:30,40");
        assert_eq!(a.max(), Some(40));
        let (head, tail) = a.split_first(12);
        assert_eq!((head.to_string(), tail.to_string()), ("1:10,20:21".into(), "22:30,40".into()));
        let (head, tail) = a.split_first(100);
        assert_eq!((head, tail), (a.clone(), UidSet::new()));
        let full = UidSet::parse("1:4294967295").unwrap();
        assert_eq!(full.len(), 4_294_967_295);
        assert_eq!(
            full.difference(&UidSet::parse("4294967295").unwrap()).to_string(),
            "1:4294967294"
        );
    }
}
