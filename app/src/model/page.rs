//! Pagination.

use serde::{Deserialize, Serialize};

/// One page of a list; `page` counts from 1.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        if self.per_page == 0 {
            return 1;
        }
        self.total.div_ceil(u64::from(self.per_page)).max(1) as u32
    }
}

/// Clamps user-supplied paging to sane bounds: page ≥ 1, 1 ≤ per_page ≤ `max`.
pub fn clamp_paging(page: u32, per_page: u32, default: u32, max: u32) -> (u32, u32) {
    let per_page = if per_page == 0 { default } else { per_page.min(max) };
    (page.max(1), per_page)
}
