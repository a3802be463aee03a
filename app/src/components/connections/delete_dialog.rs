//! Confirms deleting a connection, saying first exactly what goes with it.

use leptos::prelude::*;

use super::credential_form::sentence;
use crate::api::{connection_impact, delete_connection};
use crate::components::Tone;
use crate::components::alert::Alert;
use crate::components::button::{Button, ButtonVariant};
use crate::components::dialog::{Dialog, DialogFooter, DialogSize};
use crate::components::icons::{Icon, IconName};
use crate::components::spinner::Skeleton;
use crate::model::{Connection, ConnectionId, DeletionImpact, ProviderId};

fn plural(n: u64, one: &str, many: &str) -> String {
    let n_text = group_thousands(n);
    if n == 1 { format!("{n_text} {one}") } else { format!("{n_text} {many}") }
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The consequences of deleting, one line each, as the dialog lists them.
pub fn impact_lines(impact: &DeletionImpact, provider: ProviderId) -> Vec<(bool, String)> {
    let name = provider.display_name();
    vec![
        (
            impact.sync_configurations > 0,
            format!(
                "{} removed",
                plural(impact.sync_configurations, "sync configuration", "sync configurations")
            ),
        ),
        (
            impact.documents > 0,
            format!(
                "{} removed from the document store",
                plural(impact.documents, "indexed document", "indexed documents")
            ),
        ),
        (
            impact.active_jobs > 0,
            if impact.active_jobs == 0 {
                "No syncs running".to_string()
            } else {
                format!("{} cancelled", plural(impact.active_jobs, "running sync", "running syncs"))
            },
        ),
        (
            impact.revokes_tokens,
            if impact.revokes_tokens {
                format!("Access tokens revoked at {name}")
            } else {
                format!(
                    "Nothing is revoked at {name}: remove app passwords or tokens there yourself if you no longer need them"
                )
            },
        ),
    ]
}

/// The delete confirmation. It loads [`DeletionImpact`] when it opens and enables
/// "Delete" once it has said what will be removed.
#[component]
pub fn DeleteConnectionDialog(
    target: RwSignal<Option<Connection>>,
    open: RwSignal<bool>,
    on_deleted: Callback<(Connection, DeletionImpact)>,
) -> impl IntoView {
    let title = Signal::derive(move || {
        target
            .with(|t| t.as_ref().map(|c| format!("Delete “{}”?", c.display_name)))
            .unwrap_or_default()
    });
    view! {
        <Dialog id="delete-connection-dialog" open title size=DialogSize::Sm>
            {move || {
                target
                    .get()
                    .map(|connection| {
                        view! {
                            <DeleteConfirmation
                                connection
                                on_deleted
                                on_cancel=Callback::new(move |_| open.set(false))
                            />
                        }
                    })
            }}
        </Dialog>
    }
}

#[component]
fn DeleteConfirmation(
    connection: Connection,
    on_deleted: Callback<(Connection, DeletionImpact)>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let id = connection.id.clone();
    let provider = connection.provider;
    let impact = Resource::new(move || id.clone(), connection_impact);
    let delete = Action::new(|id: &ConnectionId| delete_connection(id.clone()));
    let deleted = StoredValue::new(connection.clone());
    Effect::new(move |_| {
        if let Some(Ok(impact)) = delete.value().get() {
            on_deleted.run((deleted.get_value(), impact));
        }
    });
    let ready = move || impact.get().is_some_and(|r| r.is_ok());
    let confirm = {
        let id = connection.id.clone();
        move |_| {
            delete.dispatch(id.clone());
        }
    };

    view! {
        <div class="space-y-4 text-sm text-slate-600">
            <p>"Deleting this connection also removes everything synced through it:"</p>
            <Suspense fallback=|| {
                view! {
                    <div class="space-y-2" aria-busy="true">
                        <span class="sr-only" role="status">"Checking what would be removed…"</span>
                        <Skeleton class="h-4 w-3/4"/>
                        <Skeleton class="h-4 w-2/3"/>
                        <Skeleton class="h-4 w-1/2"/>
                    </div>
                }
            }>
                {move || {
                    impact.get().map(|result| match result {
                        Ok(impact) => {
                            let lines = impact_lines(&impact, provider)
                                .into_iter()
                                .map(|(applies, line)| {
                                    let (icon, class) = if applies {
                                        (IconName::ExclamationTriangle, "size-4 shrink-0 text-red-500")
                                    } else {
                                        (IconName::Check, "size-4 shrink-0 text-slate-400")
                                    };
                                    view! {
                                        <li class="flex gap-2">
                                            <Icon icon class=class/>
                                            <span class:text-slate-900=applies>{line}</span>
                                        </li>
                                    }
                                })
                                .collect_view();
                            view! {
                                <ul class="space-y-2 rounded-lg bg-slate-50 p-3" data-testid="deletion-impact">
                                    {lines}
                                </ul>
                            }
                            .into_any()
                        }
                        Err(e) => view! {
                            <Alert tone=Tone::Danger title="Could not check what would be removed">
                                {sentence(&e.to_string())}
                            </Alert>
                        }
                        .into_any(),
                    })
                }}
            </Suspense>
            <p class="font-medium text-slate-900">"This cannot be undone."</p>
            {move || {
                delete.value()
                    .get()
                    .and_then(Result::err)
                    .map(|e| {
                        view! {
                            <Alert tone=Tone::Danger title="Not deleted">{sentence(&e.to_string())}</Alert>
                        }
                    })
            }}
        </div>
        <DialogFooter>
            <Button
                variant=ButtonVariant::Secondary
                attr:autofocus=true
                on_click=Callback::new(move |_| on_cancel.run(()))
            >
                "Cancel"
            </Button>
            <Button
                variant=ButtonVariant::Danger
                icon=IconName::Trash
                disabled=Signal::derive(move || !ready())
                loading=delete.pending()
                on_click=Callback::new(confirm)
            >
                "Delete connection"
            </Button>
        </DialogFooter>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impact_says_what_goes_and_what_does_not() {
        let impact = DeletionImpact {
            sync_configurations: 2,
            documents: 1234,
            active_jobs: 1,
            revokes_tokens: true,
        };
        let lines = impact_lines(&impact, ProviderId::GoogleDrive);
        assert_eq!(
            lines,
            vec![
                (true, "2 sync configurations removed".to_string()),
                (true, "1,234 indexed documents removed from the document store".to_string()),
                (true, "1 running sync cancelled".to_string()),
                (true, "Access tokens revoked at Google Drive".to_string()),
            ]
        );
        let none = impact_lines(&DeletionImpact::default(), ProviderId::OwnCloud);
        assert_eq!(none[0].1, "0 sync configurations removed");
        assert_eq!(none[2].1, "No syncs running");
        assert!(none[3].1.starts_with("Nothing is revoked at ownCloud / Nextcloud"));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }
}
