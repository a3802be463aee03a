//! The providers this server offers: a factory per provider id plus the
//! resolved OAuth settings, built once from configuration.

use std::collections::BTreeMap;
use std::sync::Arc;

use app::model::{ProviderId, ProviderInfo};

use super::config::{ResolvedProvider, resolve};
use super::http::HttpDeps;
use super::net::HostGuard;
use super::{OAuthSpec, ProviderFactory};
use crate::config::Settings;

pub struct Providers {
    factories: BTreeMap<ProviderId, Arc<dyn ProviderFactory>>,
    resolved: BTreeMap<ProviderId, ResolvedProvider>,
    /// Shared HTTP pieces, including the SSRF guard for user-supplied hosts.
    pub http: HttpDeps,
}

impl Providers {
    /// Resolves every provider's settings; `factories` are the implementations
    /// this build offers (see [`Providers::standard_factories`]).
    pub fn new(
        settings: &Settings,
        mut http: HttpDeps,
        factories: Vec<Arc<dyn ProviderFactory>>,
    ) -> Self {
        let resolved: BTreeMap<ProviderId, ResolvedProvider> =
            ProviderId::ALL.into_iter().map(|id| (id, resolve(settings, id))).collect();
        http.rates = resolved.iter().map(|(id, r)| (*id, r.requests_per_second)).collect();
        let factories = factories.into_iter().map(|f| (f.id(), f)).collect();
        Self { factories, resolved, http }
    }

    /// Every provider implemented in this build, configured from `settings`.
    pub fn standard_factories(
        settings: &Settings,
    ) -> anyhow::Result<Vec<Arc<dyn ProviderFactory>>> {
        let guard =
            Arc::new(HostGuard::new(&settings.security.allow_hosts).map_err(anyhow::Error::msg)?);
        let onedrive = resolve(settings, ProviderId::OneDrive);
        let sharepoint = resolve(settings, ProviderId::SharePoint);
        let dropbox = resolve(settings, ProviderId::Dropbox);
        let dropbox_content = dropbox.content_base.as_deref().unwrap_or(&dropbox.api_base);
        let atlassian_api = |id| resolve(settings, id).api_base;
        let timeout = std::time::Duration::from_secs(settings.sync.request_timeout_secs.max(1));
        Ok(vec![
            Arc::new(super::gdrive::GdriveFactory::from_settings(settings)),
            Arc::new(
                super::graph::GraphFactory::onedrive(&onedrive.api_base)?
                    .with_read_timeout(timeout)?,
            ),
            Arc::new(
                super::graph::GraphFactory::sharepoint(&sharepoint.api_base)?
                    .with_read_timeout(timeout)?,
            ),
            Arc::new(super::dropbox::DropboxFactory::new(&dropbox.api_base, dropbox_content)),
            Arc::new(super::webdav::WebdavFactory::new()),
            Arc::new(super::imap::ImapFactory::new(guard.clone())),
            Arc::new(super::confluence::ConfluenceFactory::new(
                guard.clone(),
                atlassian_api(ProviderId::Confluence),
            )),
            Arc::new(super::jira::JiraFactory::new(guard, atlassian_api(ProviderId::Jira))),
        ])
    }

    pub fn factory(&self, id: ProviderId) -> Option<&Arc<dyn ProviderFactory>> {
        self.factories.get(&id)
    }

    pub fn resolved(&self, id: ProviderId) -> &ResolvedProvider {
        &self.resolved[&id]
    }

    pub fn oauth(&self, id: ProviderId) -> Option<&OAuthSpec> {
        self.resolved.get(&id).and_then(|r| r.oauth.as_ref())
    }

    /// The catalogue, in the client design's order.
    pub fn catalogue(&self) -> Vec<ProviderInfo> {
        ProviderId::ALL
            .into_iter()
            .filter_map(|id| {
                let mut info = self.factories.get(&id)?.info();
                info.oauth_configured = self.oauth(id).is_some();
                Some(info)
            })
            .collect()
    }
}
