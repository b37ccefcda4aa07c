//! The catalog page's query string: a search phrase, a category, a page.

use catalog::domain::{CategorySlug, SearchText};
use serde::Deserialize;

/// Products shown per catalog page.
pub const PER_PAGE: u32 = 12;

/// `GET /?q=&category=&page=` as the browser sent it: every field a string,
/// so that a bad value gets the shop's own 400 page, not the framework's.
#[derive(Debug, Default, Deserialize)]
pub struct RawBrowse {
    pub q: Option<String>,
    pub category: Option<String>,
    pub page: Option<String>,
}

/// What to show: empty fields (an empty search box) mean "any".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    pub search: Option<SearchText>,
    pub category: Option<CategorySlug>,
    /// 1-based.
    pub page: u32,
}

impl Browse {
    pub fn parse(raw: RawBrowse) -> Result<Self, String> {
        let filled = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        let search = filled(raw.q).map(|q| SearchText::parse(&q)).transpose()?;
        let category = filled(raw.category).map(|c| CategorySlug::parse(c.trim())).transpose()?;
        let page = match filled(raw.page) {
            None => 1,
            Some(page) => match page.trim().parse::<u32>() {
                Ok(page @ 1..=10_000) => page,
                _ => return Err(format!("page {page:?} is not a page number (1 to 10000)")),
            },
        };
        Ok(Self { search, category, page })
    }

    /// The gateway's query string for this page of products.
    pub fn api_query(&self) -> String {
        let page = self.page.to_string();
        let per_page = PER_PAGE.to_string();
        let mut pairs = vec![("page", page.as_str()), ("per_page", per_page.as_str())];
        self.push_filters(&mut pairs);
        serde_urlencoded::to_string(pairs).expect("strings encode")
    }

    /// The storefront's own link to another page of the same listing.
    pub fn link_to_page(&self, page: u32) -> String {
        let page = page.to_string();
        let mut pairs = Vec::new();
        self.push_filters(&mut pairs);
        pairs.push(("page", page.as_str()));
        format!("/?{}", serde_urlencoded::to_string(pairs).expect("strings encode"))
    }

    fn push_filters<'a>(&'a self, pairs: &mut Vec<(&'static str, &'a str)>) {
        if let Some(search) = &self.search {
            pairs.push(("q", search.as_str()));
        }
        if let Some(category) = &self.category {
            pairs.push(("category", category.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(q: Option<&str>, category: Option<&str>, page: Option<&str>) -> RawBrowse {
        RawBrowse { q: q.map(Into::into), category: category.map(Into::into), page: page.map(Into::into) }
    }

    #[test]
    fn an_empty_form_means_the_first_page_of_everything() {
        let browse = Browse::parse(raw(Some("  "), Some(""), None)).unwrap();
        assert_eq!(browse, Browse { search: None, category: None, page: 1 });
        assert_eq!(browse.api_query(), "page=1&per_page=12");
    }

    #[test]
    fn filters_are_kept_in_links_to_other_pages_and_escaped() {
        let browse = Browse::parse(raw(Some(" mugs & cups "), Some("kitchen"), Some("2"))).unwrap();
        assert_eq!(browse.api_query(), "page=2&per_page=12&q=mugs+%26+cups&category=kitchen");
        assert_eq!(browse.link_to_page(3), "/?q=mugs+%26+cups&category=kitchen&page=3");
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        for (q, category, page) in
            [(None, None, Some("0")), (None, None, Some("two")), (None, Some("Not A Slug"), None)]
        {
            assert!(Browse::parse(raw(q, category, page)).is_err());
        }
        assert!(Browse::parse(raw(Some(&"x".repeat(101)), None, None)).is_err());
    }
}
