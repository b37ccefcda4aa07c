//! Every query of the catalog, in one place.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::domain::{
    CategoryName, CategorySlug, CursorListingQuery, ListingQuery, NewProduct, ProductPatch, ProductPosition, SortOrder,
};
use platform::db::query_span;

/// A product as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, sqlx::FromRow, utoipa::ToSchema)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[query_span("SELECT", "categories")]
pub async fn list_categories(pool: &PgPool) -> Result<Vec<Category>, sqlx::Error> {
    sqlx::query_as!(Category, "SELECT id, slug, name FROM categories ORDER BY name").fetch_all(pool).await
}

#[query_span("INSERT", "categories")]
pub async fn insert_category(pool: &PgPool, slug: &CategorySlug, name: &CategoryName) -> Result<Category, sqlx::Error> {
    sqlx::query_as!(
        Category,
        "INSERT INTO categories (slug, name) VALUES ($1, $2) RETURNING id, slug, name",
        slug.as_str(),
        name.as_str()
    )
    .fetch_one(pool)
    .await
}

#[query_span("SELECT", "categories")]
pub async fn category_exists(pool: &PgPool, slug: &CategorySlug) -> Result<bool, sqlx::Error> {
    let found =
        sqlx::query_scalar!("SELECT id FROM categories WHERE slug = $1", slug.as_str()).fetch_optional(pool).await?;
    Ok(found.is_some())
}

/// One page of products and the total number that match.
#[query_span("SELECT", "products")]
pub async fn list_products(pool: &PgPool, query: &ListingQuery) -> Result<(Vec<Product>, i64), sqlx::Error> {
    let category = query.category.as_ref().map(CategorySlug::as_str);
    let search = query.search.as_ref().map(|s| s.as_str());
    // Sorting by a parameter: each CASE is NULL (and so neutral) unless its
    // order is the one asked for; newest-first breaks the remaining ties.
    let items = sqlx::query_as!(
        Product,
        r#"
        SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency,
               c.slug AS category, p.created_at, p.updated_at
        FROM products p JOIN categories c ON c.id = p.category_id
        WHERE ($1::text IS NULL OR c.slug = $1)
          AND ($2::text IS NULL
               OR p.search @@ websearch_to_tsquery('english', $2)
               OR p.name ILIKE '%' || $2 || '%')
        ORDER BY
          CASE WHEN $3 = 'price_asc' THEN p.price_cents END ASC,
          CASE WHEN $3 = 'price_desc' THEN p.price_cents END DESC,
          CASE WHEN $3 = 'name' THEN p.name END ASC,
          p.created_at DESC, p.id DESC
        LIMIT $4 OFFSET $5
        "#,
        category,
        search,
        query.sort.as_str(),
        query.pagination.limit(),
        query.pagination.offset(),
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"
        SELECT COUNT(*) AS "count!"
        FROM products p JOIN categories c ON c.id = p.category_id
        WHERE ($1::text IS NULL OR c.slug = $1)
          AND ($2::text IS NULL
               OR p.search @@ websearch_to_tsquery('english', $2)
               OR p.name ILIKE '%' || $2 || '%')
        "#,
        category,
        search,
    )
    .fetch_one(pool)
    .await?;
    Ok((items, total))
}

/// The page of products after `query.page.after` (first page without one),
/// plus one product more when another page follows. Keyset pagination: the
/// position is compared as a row, `(key, id)`, in the same order the list is
/// sorted by, so the database seeks to it instead of counting past it.
#[query_span("SELECT", "products")]
pub async fn list_products_after(pool: &PgPool, query: &CursorListingQuery) -> Result<Vec<Product>, sqlx::Error> {
    let mut sql = sqlx::QueryBuilder::new(
        "SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, \
                c.slug AS category, p.created_at, p.updated_at \
         FROM products p JOIN categories c ON c.id = p.category_id WHERE TRUE",
    );
    if let Some(category) = &query.category {
        sql.push(" AND c.slug = ").push_bind(category.as_str().to_owned());
    }
    if let Some(search) = &query.search {
        let text = search.as_str().to_owned();
        sql.push(" AND (p.search @@ websearch_to_tsquery('english', ")
            .push_bind(text.clone())
            .push(") OR p.name ILIKE '%' || ")
            .push_bind(text)
            .push(" || '%')");
    }
    match &query.page.after {
        None => {}
        Some(ProductPosition::Newest(at, id)) => {
            sql.push(" AND (p.created_at, p.id) < (").push_bind(*at).push(", ").push_bind(*id).push(")");
        }
        Some(ProductPosition::PriceAsc(price, id)) => {
            sql.push(" AND (p.price_cents, p.id) > (").push_bind(*price).push(", ").push_bind(*id).push(")");
        }
        Some(ProductPosition::PriceDesc(price, id)) => {
            sql.push(" AND (p.price_cents, p.id) < (").push_bind(*price).push(", ").push_bind(*id).push(")");
        }
        Some(ProductPosition::Name(name, id)) => {
            sql.push(" AND (p.name, p.id) > (").push_bind(name.clone()).push(", ").push_bind(*id).push(")");
        }
    }
    sql.push(match query.sort {
        SortOrder::Newest => " ORDER BY p.created_at DESC, p.id DESC",
        SortOrder::PriceAsc => " ORDER BY p.price_cents ASC, p.id ASC",
        SortOrder::PriceDesc => " ORDER BY p.price_cents DESC, p.id DESC",
        SortOrder::Name => " ORDER BY p.name ASC, p.id ASC",
    });
    sql.push(" LIMIT ").push_bind(query.page.fetch_limit());
    sql.build_query_as::<Product>().fetch_all(pool).await
}

/// Where `product` stands in a list sorted by `sort`.
pub fn position_of(product: &Product, sort: SortOrder) -> ProductPosition {
    match sort {
        SortOrder::Newest => ProductPosition::Newest(product.created_at, product.id),
        SortOrder::PriceAsc => ProductPosition::PriceAsc(product.price_cents, product.id),
        SortOrder::PriceDesc => ProductPosition::PriceDesc(product.price_cents, product.id),
        SortOrder::Name => ProductPosition::Name(product.name.clone(), product.id),
    }
}

#[query_span("SELECT", "products")]
pub async fn get_product(pool: &PgPool, id: i64) -> Result<Option<Product>, sqlx::Error> {
    sqlx::query_as!(
        Product,
        r#"
        SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency,
               c.slug AS category, p.created_at, p.updated_at
        FROM products p JOIN categories c ON c.id = p.category_id
        WHERE p.id = $1
        "#,
        id
    )
    .fetch_optional(pool)
    .await
}

/// Inserts a product; `None` when its category does not exist.
#[query_span("INSERT", "products")]
pub async fn insert_product(pool: &PgPool, new: &NewProduct) -> Result<Option<Product>, sqlx::Error> {
    sqlx::query_as!(
        Product,
        r#"
        WITH inserted AS (
            INSERT INTO products (sku, name, description, price_cents, currency, category_id)
            SELECT $1, $2, $3, $4, $5, c.id FROM categories c WHERE c.slug = $6
            RETURNING *
        )
        SELECT i.id, i.sku, i.name, i.description, i.price_cents, i.currency,
               c.slug AS category, i.created_at, i.updated_at
        FROM inserted i JOIN categories c ON c.id = i.category_id
        "#,
        new.sku.as_str(),
        new.name.as_str(),
        new.description.as_str(),
        new.price_cents,
        new.currency.as_str(),
        new.category.as_str(),
    )
    .fetch_optional(pool)
    .await
}

/// Applies the fields present in `patch`; `None` when the product does not exist.
/// The caller has checked that a new category exists.
#[query_span("UPDATE", "products")]
pub async fn update_product(pool: &PgPool, id: i64, patch: &ProductPatch) -> Result<Option<Product>, sqlx::Error> {
    sqlx::query_as!(
        Product,
        r#"
        WITH updated AS (
            UPDATE products SET
                name = COALESCE($2, name),
                description = COALESCE($3, description),
                price_cents = COALESCE($4, price_cents),
                currency = COALESCE($5, currency),
                category_id = COALESCE((SELECT id FROM categories WHERE slug = $6), category_id),
                updated_at = now()
            WHERE id = $1
            RETURNING *
        )
        SELECT u.id, u.sku, u.name, u.description, u.price_cents, u.currency,
               c.slug AS category, u.created_at, u.updated_at
        FROM updated u JOIN categories c ON c.id = u.category_id
        "#,
        id,
        patch.name.as_ref().map(|n| n.as_str()),
        patch.description.as_ref().map(|d| d.as_str()),
        patch.price_cents,
        patch.currency.as_ref().map(|c| c.as_str()),
        patch.category.as_ref().map(|c| c.as_str()),
    )
    .fetch_optional(pool)
    .await
}

/// True when a product was deleted.
#[query_span("DELETE", "products")]
pub async fn delete_product(pool: &PgPool, id: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!("DELETE FROM products WHERE id = $1", id).execute(pool).await?;
    Ok(result.rows_affected() == 1)
}

/// Other products of `id`'s category, newest first; `None` when `id` does not exist.
#[query_span("SELECT", "products")]
pub async fn same_category(pool: &PgPool, id: i64, limit: i64) -> Result<Option<Vec<Product>>, sqlx::Error> {
    if get_product(pool, id).await?.is_none() {
        return Ok(None);
    }
    let products = sqlx::query_as!(
        Product,
        r#"
        SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency,
               c.slug AS category, p.created_at, p.updated_at
        FROM products p JOIN categories c ON c.id = p.category_id
        WHERE p.category_id = (SELECT category_id FROM products WHERE id = $1) AND p.id <> $1
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT $2
        "#,
        id,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(Some(products))
}

/// The newest products across categories: the general recommendation.
#[query_span("SELECT", "products")]
pub async fn newest(pool: &PgPool, limit: i64) -> Result<Vec<Product>, sqlx::Error> {
    sqlx::query_as!(
        Product,
        r#"
        SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency,
               c.slug AS category, p.created_at, p.updated_at
        FROM products p JOIN categories c ON c.id = p.category_id
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT $1
        "#,
        limit
    )
    .fetch_all(pool)
    .await
}
