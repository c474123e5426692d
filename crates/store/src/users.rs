//! Accounts and sessions for the web UI and the HTTP API.
//!
//! A user's token is 32 random bytes shown once, when the account is made; the store keeps only its
//! sha256, so a copy of the database does not let anyone in. Tokens are random and long, so a plain
//! hash (not a slow password hash) is enough: there is nothing to guess. Sessions work the same way:
//! the browser's cookie holds a random id, the table its hash, beside the session's CSRF token.
//! Creating, disabling and re-keying accounts goes into the hash-chained audit log.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::inputs::sha256_hex;
use crate::log::append;
use crate::{Store, StoreError, now};

/// What a user may do. Roles are not a ladder: an admin manages accounts and views, but does not review
/// findings or sign certificates (separation of duties: whoever makes accounts should not also approve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    /// Runs audits and views everything.
    Analyst,
    /// Also reviews findings and issues or withdraws certificates.
    Auditor,
    /// Manages accounts; views.
    Admin,
    /// A supplier's account (issue 16): sees and answers only its own supplier's requests; signs in
    /// through one-time invitation links.
    Supplier,
}

impl UserRole {
    /// As stored and typed.
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Analyst => "analyst",
            UserRole::Auditor => "auditor",
            UserRole::Admin => "admin",
            UserRole::Supplier => "supplier",
        }
    }

    /// Parses the stored or typed word.
    pub fn parse(s: &str) -> Option<UserRole> {
        match s {
            "analyst" => Some(UserRole::Analyst),
            "auditor" => Some(UserRole::Auditor),
            "admin" => Some(UserRole::Admin),
            "supplier" => Some(UserRole::Supplier),
            _ => None,
        }
    }
}

/// An account (never with its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: UserRole,
    /// When it was made (RFC 3339 UTC).
    pub created_at: String,
    /// Who made it.
    pub created_by: String,
    /// When it was disabled, if it was.
    pub disabled_at: Option<String>,
    /// The supplier a `supplier` account answers for (the BOM's supplier name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier_id: Option<String>,
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The account.
    pub user: User,
    /// The token every form of this session must carry.
    pub csrf: String,
}

/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 8;

/// A new secret: 32 random bytes, hex, with a prefix that says what it is (helps secret scanners).
pub fn new_secret(prefix: &str) -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Invalid(format!("no randomness available: {e}")))?;
    Ok(format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = r.try_get("role")?;
    Ok(User {
        name: r.try_get("name")?,
        role: UserRole::parse(&role).ok_or_else(|| StoreError::Invalid(format!("stored role `{role}` is unknown")))?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        disabled_at: r.try_get("disabled_at")?,
        supplier_id: r.try_get("supplier_id")?,
    })
}

const USER_COLUMNS: &str = "name, role, created_at, created_by, disabled_at, supplier_id";

impl Store {
    /// Makes an account; returns it with its token, which is not kept and cannot be shown again.
    pub async fn add_user(&self, name: &str, role: UserRole, actor: &str) -> Result<(User, String), StoreError> {
        if role == UserRole::Supplier {
            return Err(StoreError::Invalid(
                "supplier accounts are made by `origin-audit solicit send` for a supplier id, and sign in by invitation".into(),
            ));
        }
        if !valid_name(name) {
            return Err(StoreError::Invalid(format!(
                "`{name}` is not a usable account name\n  help: use 1-64 letters, digits, `.`, `_`, `-` or `@`"
            )));
        }
        let token = new_secret("oat_")?;
        let mut tx = self.write_tx().await?;
        let exists = sqlx::query("SELECT name FROM users WHERE name = $1").bind(name).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(StoreError::Invalid(format!(
                "an account `{name}` already exists\n  help: `origin-audit users rekey {name}` gives it a new token"
            )));
        }
        sqlx::query(
            "INSERT INTO users (name, role, token_hash, created_at, created_by, disabled_at) VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(sha256_hex(token.as_bytes()))
        .bind(now())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        append(&mut tx, actor, "user.added", &format!("user:{name}"), &json!({"role": role.as_str()})).await?;
        tx.commit().await?;
        Ok((self.user(name).await?, token))
    }

    /// Gives an account a new token (the old one stops working) and ends its sessions.
    pub async fn rekey_user(&self, name: &str, actor: &str) -> Result<String, StoreError> {
        let token = new_secret("oat_")?;
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE users SET token_hash = $1 WHERE name = $2")
            .bind(sha256_hex(token.as_bytes()))
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no account `{name}`")));
        }
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        append(&mut tx, actor, "user.rekeyed", &format!("user:{name}"), &json!({})).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Disables an account: its token and sessions stop working at once; its history stays.
    pub async fn disable_user(&self, name: &str, actor: &str) -> Result<User, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE name = $2 AND disabled_at IS NULL")
            .bind(now())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no enabled account `{name}`")));
        }
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        append(&mut tx, actor, "user.disabled", &format!("user:{name}"), &json!({})).await?;
        tx.commit().await?;
        self.user(name).await
    }

    /// One account.
    pub async fn user(&self, name: &str) -> Result<User, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no account `{name}`")))?;
        user_from_row(&row)
    }

    /// Every account, by name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows =
            sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name")).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// The enabled account a token belongs to, if any.
    pub async fn user_by_token(&self, token: &str) -> Result<Option<User>, StoreError> {
        let row =
            sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE token_hash = $1 AND disabled_at IS NULL"))
                .bind(sha256_hex(token.as_bytes()))
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Signs in with a name and token: a new session id (for the cookie) and the session.
    pub async fn open_session(&self, name: &str, token: &str) -> Result<Option<(String, Session)>, StoreError> {
        let Some(user) = self.user_by_token(token).await? else { return Ok(None) };
        if user.name != name {
            return Ok(None);
        }
        self.new_session(user).await.map(Some)
    }

    /// A session for an enabled account, without its token: an invitation link was redeemed.
    pub(crate) async fn open_session_for(&self, name: &str) -> Result<Option<(String, Session)>, StoreError> {
        let user = self.user(name).await?;
        if user.disabled_at.is_some() {
            return Ok(None);
        }
        self.new_session(user).await.map(Some)
    }

    async fn new_session(&self, user: User) -> Result<(String, Session), StoreError> {
        let id = new_secret("")?;
        let csrf = new_secret("")?;
        let created = chrono::Utc::now();
        let expires = created + chrono::Duration::hours(SESSION_HOURS);
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let (id_hash, created, expires) = (sha256_hex(id.as_bytes()), fmt(created), fmt(expires));
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(&created).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id_hash)
        .bind(&user.name)
        .bind(&csrf)
        .bind(&created)
        .bind(&expires)
        .execute(&mut *tx)
        .await?;
        // Bound in the log like the data: `log verify` names a session no entry opened.
        let digest = crate::bind::session_digest(&id_hash, &user.name, &csrf, &created, &expires)?;
        let payload = json!({"session_digest": digest, "expires_at": expires});
        append(&mut tx, &user.name, "session.opened", &format!("session:{id_hash}"), &payload).await?;
        tx.commit().await?;
        Ok((id, Session { user, csrf }))
    }

    /// The live session a cookie's id names, if any (not expired, account enabled).
    pub async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT s.csrf, u.name, u.role, u.created_at, u.created_by, u.disabled_at, u.supplier_id FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(sha256_hex(id.as_bytes()))
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(Session { user: user_from_row(&r)?, csrf: r.try_get("csrf")? })),
        }
    }

    /// Ends a session (sign out).
    pub async fn close_session(&self, id: &str) -> Result<(), StoreError> {
        let id_hash = sha256_hex(id.as_bytes());
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT user_name FROM sessions WHERE id_hash = $1")
            .bind(&id_hash)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(r) = row {
            let user: String = r.try_get("user_name")?;
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&id_hash).execute(&mut *tx).await?;
            append(&mut tx, &user, "session.closed", &format!("session:{id_hash}"), &json!({})).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
