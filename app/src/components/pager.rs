//! Previous / next links for paginated lists. Plain links with `?page=N`, so
//! they work before hydration and keep the page in the URL.

use leptos::prelude::*;

use super::button::{ButtonSize, ButtonVariant, button_class};

/// `base` plus `page=N`, keeping a query string `base` already has.
pub fn page_href(base: &str, page: u32) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}page={page}")
}

#[component]
pub fn Pager(#[prop(into)] base: String, current: u32, pages: u32) -> impl IntoView {
    (pages > 1).then(|| {
        let link = button_class(ButtonVariant::Secondary, ButtonSize::Sm);
        view! {
            <nav aria-label="Pages" class="mt-4 flex items-center justify-between gap-3 text-sm text-slate-600">
                <span>{format!("Page {current} of {pages}")}</span>
                <div class="flex gap-2">
                    {(current > 1).then(|| view! { <a class=link.clone() rel="prev" href=page_href(&base, current - 1)>"Previous"</a> })}
                    {(current < pages).then(|| view! { <a class=link.clone() rel="next" href=page_href(&base, current + 1)>"Next"</a> })}
                </div>
            </nav>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::page_href;

    #[test]
    fn page_links_keep_the_existing_query() {
        assert_eq!(page_href("/syncs/a", 2), "/syncs/a?page=2");
        assert_eq!(page_href("/documents?config=x", 3), "/documents?config=x&page=3");
    }
}
