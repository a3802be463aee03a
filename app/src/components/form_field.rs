//! Labelled form fields with hints and error messages wired up for screen
//! readers: the input is `aria-describedby` its hint and its error, and
//! `aria-invalid` while it has an error.

use leptos::prelude::*;

/// The classes of a text input, select or textarea, with or without an error.
pub fn input_class(invalid: bool) -> &'static str {
    if invalid {
        "block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-xs ring-1 ring-inset ring-red-400 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-red-500 focus:outline-none"
    } else {
        "block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-xs ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500"
    }
}

/// What kind of control a [`FormField`] renders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FieldKind {
    #[default]
    Text,
    Password,
    Url,
    Email,
    /// Digits only (`inputmode="numeric"`), e.g. a port.
    Number,
    /// A multi-line text area (PEM blocks).
    TextArea,
}

impl FieldKind {
    fn input_type(self) -> &'static str {
        match self {
            FieldKind::Text | FieldKind::TextArea | FieldKind::Number => "text",
            FieldKind::Password => "password",
            FieldKind::Url => "url",
            FieldKind::Email => "email",
        }
    }
}

/// Label, control, hint and error text.
///
/// With `value` the field is controlled by that signal. Without it the input is
/// left to the browser (with `default_value` as its first value): forms that
/// post natively, like sign-in, must keep what the user typed before the page
/// hydrates.
#[component]
pub fn FormField(
    /// The control's id; the hint and error get `{id}-hint` and `{id}-error`.
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
    #[prop(optional)] kind: FieldKind,
    #[prop(optional)] value: Option<RwSignal<String>>,
    #[prop(optional, into)] default_value: Option<String>,
    #[prop(optional, into)] name: Option<String>,
    #[prop(optional, into)] error: MaybeProp<String>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] placeholder: MaybeProp<String>,
    #[prop(optional, into)] autocomplete: Option<String>,
    #[prop(optional)] required: bool,
    /// Shows "(optional)" after the label.
    #[prop(optional)]
    optional: bool,
    #[prop(optional)] autofocus: bool,
    #[prop(default = 4)] rows: u32,
    /// Something next to the label on the right (e.g. a "Load file" button).
    #[prop(optional)]
    label_extra: Option<Children>,
    #[prop(optional)] node_ref: Option<NodeRef<leptos::html::Input>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let has_hint = hint.is_some();
    let invalid = move || error.get().is_some_and(|e| !e.is_empty());
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if invalid() {
                ids.push(error_id.clone());
            }
            if has_hint {
                ids.push(hint_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let initial = value.map(|v| v.get_untracked()).or(default_value);

    // Controlled controls carry `prop:value`; uncontrolled ones must not, or
    // hydration would overwrite what the user typed before it.
    let control = match (kind, value) {
        (FieldKind::TextArea, Some(value)) => view! {
            <textarea
                id=id.clone()
                name=name
                rows=rows
                class=move || format!("{} font-mono text-xs", input_class(invalid()))
                placeholder=move || placeholder.get()
                required=required
                autofocus=autofocus
                spellcheck="false"
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=described_by
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            >
                {initial}
            </textarea>
        }
        .into_any(),
        (FieldKind::TextArea, None) => view! {
            <textarea
                id=id.clone()
                name=name
                rows=rows
                class=move || format!("{} font-mono text-xs", input_class(invalid()))
                placeholder=move || placeholder.get()
                required=required
                autofocus=autofocus
                spellcheck="false"
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=described_by
            >
                {initial}
            </textarea>
        }
        .into_any(),
        (kind, Some(value)) => view! {
            <input
                node_ref=node_ref.unwrap_or_default()
                id=id.clone()
                name=name
                type=kind.input_type()
                inputmode=(kind == FieldKind::Number).then_some("numeric")
                class=move || input_class(invalid())
                value=initial
                placeholder=move || placeholder.get()
                autocomplete=autocomplete
                required=required
                autofocus=autofocus
                spellcheck=(kind != FieldKind::Text).then_some("false")
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=described_by
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        }
        .into_any(),
        (kind, None) => view! {
            <input
                node_ref=node_ref.unwrap_or_default()
                id=id.clone()
                name=name
                type=kind.input_type()
                inputmode=(kind == FieldKind::Number).then_some("numeric")
                class=move || input_class(invalid())
                value=initial
                placeholder=move || placeholder.get()
                autocomplete=autocomplete
                required=required
                autofocus=autofocus
                spellcheck=(kind != FieldKind::Text).then_some("false")
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=described_by
            />
        }
        .into_any(),
    };

    view! {
        <div class="space-y-1.5">
            <div class="flex items-center justify-between gap-2">
                <label for=id class="block text-sm font-medium text-slate-800">
                    {label}
                    {optional.then(|| view! { <span class="font-normal text-slate-400">" (optional)"</span> })}
                </label>
                {label_extra.map(|extra| extra())}
            </div>
            {control}
            {move || {
                error
                    .get()
                    .filter(|e| !e.is_empty())
                    .map(|e| {
                        view! {
                            <p id=error_id.clone() class="text-xs font-medium text-red-600">
                                {e}
                            </p>
                        }
                    })
            }}
            {hint.map(|h| view! { <p id=hint_id class="text-xs text-slate-500">{h}</p> })}
        </div>
    }
    .into_any()
}

/// A choice between a few options as a segmented control: real radio buttons
/// (arrow keys move between them), styled as one pill.
#[component]
pub fn SegmentedControl<V>(
    /// The radios' `name`; option ids are `{name}-{index}`.
    name: &'static str,
    #[prop(into)] legend: String,
    options: Vec<(V, &'static str)>,
    selected: RwSignal<V>,
) -> impl IntoView
where
    V: Copy + PartialEq + Send + Sync + 'static,
{
    let radios = options
        .into_iter()
        .enumerate()
        .map(|(index, (option, label))| {
            let id = format!("{name}-{index}");
            let label_for = id.clone();
            view! {
                <label
                    for=label_for
                    class="relative flex-1 cursor-pointer rounded-md px-3 py-1.5 text-center text-sm font-medium whitespace-nowrap text-slate-600 transition hover:text-slate-900 has-[:checked]:bg-white has-[:checked]:text-slate-900 has-[:checked]:shadow-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500"
                >
                    <input
                        id=id
                        type="radio"
                        class="sr-only"
                        name=name
                        checked=selected.get_untracked() == option
                        prop:checked=move || selected.get() == option
                        on:change=move |_| selected.set(option)
                    />
                    {label}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="space-y-1.5">
            <legend class="text-sm font-medium text-slate-800">{legend}</legend>
            <div class="flex w-full gap-1 rounded-lg bg-slate-100 p-1 sm:w-fit">{radios}</div>
        </fieldset>
    }
}

/// Moves focus to the first field marked invalid inside `root`, on the next
/// frame: the errors just set reach the DOM when the render effects have run.
#[cfg(feature = "hydrate")]
pub fn focus_first_invalid(root: web_sys::Element) {
    use wasm_bindgen::JsCast;
    request_animation_frame(move || {
        if let Some(field) = root
            .query_selector("[aria-invalid='true']")
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = field.focus();
        }
    });
}

/// Reads the file chosen in a file input (the event's target) as text into `value`.
/// The file never leaves the browser except as part of the form.
#[cfg(feature = "hydrate")]
pub fn read_chosen_file(ev: &leptos::ev::Event, value: RwSignal<String>) {
    use wasm_bindgen::JsCast;
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
    // Let the same file be chosen again after the text was edited.
    input.set_value("");
    leptos::task::spawn_local(async move {
        if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
            && let Some(text) = text.as_string()
        {
            value.set(text);
        }
    });
}
