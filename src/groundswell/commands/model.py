"""``groundswell model …``: train, inspect and evaluate the sentiment-and-intent model.

``train`` needs the ``train`` extra (PyTorch, transformers); ``info`` and ``evaluate``
run on the shipped ONNX files with the ordinary install.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from groundswell.enrichment.model.store import ModelStore as ModelStoreType

app = typer.Typer(help="The sentiment and intent model.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def _source_weights(given: list[str]) -> tuple[tuple[str, float], ...]:
    """``--source-weight`` values as (source, factor) pairs, each checked."""
    pairs: dict[str, float] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep:
            raise _fail(f"--source-weight {item!r}: give SOURCE=FACTOR, e.g. airline=2")
        if name not in {"semeval", "airline", "correction"}:
            raise _fail(f"--source-weight: unknown source {name!r} (semeval, airline, correction)")
        try:
            factor = float(value)
        except ValueError:
            raise _fail(f"--source-weight {item!r}: the factor must be a number") from None
        if not 0.0 < factor <= 10.0:
            raise _fail(f"--source-weight {item!r}: the factor must be above 0 and at most 10")
        pairs[name] = factor
    return tuple(pairs.items())


@app.command()
def train(
    output: Annotated[
        Path, typer.Option(help="Folder for the model files (then copy them into the package).")
    ] = Path("build/model"),
    seed: Annotated[int, typer.Option(help="Seed for batching, dropout and head init.")] = 13,
    init_seed: Annotated[
        int | None,
        typer.Option(help="Seed of the heads' initial weights only (for `model soup`)."),
    ] = None,
    epochs: Annotated[float, typer.Option(min=0.05, max=20.0, help="Passes over the data.")] = 2.0,
    version: Annotated[str, typer.Option(help="Version string stored with every result.")] = (
        "minilm-sent-v3"
    ),
    trainable_layers: Annotated[
        int, typer.Option(min=1, max=6, help="Top encoder layers fine-tuned; lower ones frozen.")
    ] = 6,
    learning_rate: Annotated[float, typer.Option(min=1e-6, max=1e-2)] = 5e-5,
    anchor_weight: Annotated[
        float,
        typer.Option(
            min=0.0, max=10.0, help="Keep the sentence vector near the base model's (0: off)."
        ),
    ] = 0.5,
    balance_source: Annotated[
        list[str] | None,
        typer.Option(
            help="Balance sentiment classes within this source only (semeval, airline, "
            "correction; repeat for more), or 'all' for all examples together. "
            "Default: semeval."
        ),
    ] = None,
    source_weight: Annotated[
        list[str] | None,
        typer.Option(
            help="SOURCE=FACTOR: multiply one source's sentiment loss weights (semeval, "
            "airline, correction; factor above 0, at most 10; repeat for more)."
        ),
    ] = None,
    weigh_by_agreement: Annotated[
        bool, typer.Option(help="Weigh airline labels by their annotators' agreement.")
    ] = False,
    include_corrections: Annotated[
        bool, typer.Option(help="Add people's corrections from the configured database.")
    ] = False,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding semeval2017/ and airline/.")
    ] = None,
) -> None:
    """Fine-tune, export to int8 ONNX, calibrate, and score the held-out test splits."""
    if not version.strip() or len(version) > 60:
        raise _fail("--version must be 1 to 60 characters")
    try:
        from groundswell.training.train import TrainConfig
        from groundswell.training.train import train as run_training
    except ImportError as exc:
        raise _fail(f"training needs the 'train' extra ({exc.name} is missing)") from exc
    from groundswell.training.datasets import DEFAULT_DATA_DIR, DataError

    chosen = list(balance_source or ())
    unknown = sorted(set(chosen) - {"semeval", "airline", "correction", "all"})
    if "all" in chosen and len(chosen) > 1:
        raise _fail("--balance-source all balances every example: give it alone")
    if unknown:
        raise _fail(
            f"--balance-source: unknown source {unknown[0]!r} (semeval, airline, correction, all)"
        )
    scale = _source_weights(source_weight or [])
    extra = []
    if include_corrections:
        from groundswell.crm.corrections import load_correction_examples
        from groundswell.settings import get_settings

        extra = load_correction_examples(get_settings().database_url)
        typer.echo(f"{len(extra)} corrected posts added to the training set")
    config = TrainConfig(
        seed=seed,
        init_seed=init_seed,
        epochs=epochs,
        version=version,
        trainable_layers=trainable_layers,
        learning_rate=learning_rate,
        anchor_weight=anchor_weight,
        balance_sources=(
            TrainConfig.balance_sources
            if not chosen
            else None
            if chosen == ["all"]
            else tuple(chosen)
        ),
        source_weights=scale,
        weigh_by_agreement=weigh_by_agreement,
    )
    try:
        metadata = run_training(
            output, config=config, extra=extra, data_dir=data_dir or DEFAULT_DATA_DIR
        )
    except (DataError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"model {metadata['version']} written to {output}")


@app.command()
def soup(
    source: Annotated[
        list[Path],
        typer.Option(
            "--from",
            help="A folder written by `model train` (give two or more; same recipe, other seeds).",
        ),
    ],
    output: Annotated[Path, typer.Option(help="Folder for the averaged model's files.")] = Path(
        "build/soup"
    ),
    version: Annotated[str, typer.Option(help="Version string stored with every result.")] = (
        "minilm-sent-soup"
    ),
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding semeval2017/ and airline/.")
    ] = None,
) -> None:
    """Average several trainings' weights into one model, then export, calibrate and score it.

    Costs nothing at run time: one network of the same size as each training.
    """
    if not version.strip() or len(version) > 60:
        raise _fail("--version must be 1 to 60 characters")
    if not 2 <= len(source) <= 16:
        raise _fail("--from must be given 2 to 16 times")
    try:
        from groundswell.training.soup import SoupError
        from groundswell.training.soup import soup as run_soup
        from groundswell.training.train import TrainConfig  # noqa: F401  (needs torch)
    except ImportError as exc:
        raise _fail(f"a soup needs the 'train' extra ({exc.name} is missing)") from exc
    from groundswell.training.datasets import DEFAULT_DATA_DIR, DataError

    try:
        metadata = run_soup(
            output, sources=source, version=version, data_dir=data_dir or DEFAULT_DATA_DIR
        )
    except (SoupError, DataError, ValueError, OSError, KeyError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"model {metadata['version']} written to {output}")


@app.command("fit-intents")
def fit_intents(
    model_dir: Annotated[
        Path, typer.Option(help="Model folder (a copy of the package's model/data/).")
    ],
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding semeval2017/, airline/, twcs_sample/.")
    ] = None,
    lower_layer: Annotated[
        int,
        typer.Option(
            min=-1,
            max=4,
            help="Also read this encoder layer's mean (0-based; -1: the embeddings) "
            "when the graph gets its 'pooled' output.",
        ),
    ] = 3,
) -> None:
    """Refit the intent head on the model's frozen sentence vectors (weak labels).

    Needs ``onnx`` (the ``train`` extra), not PyTorch. The hand-labelled sample is never
    trained or tuned on.
    """
    try:
        import onnx  # noqa: F401
    except ImportError as exc:
        raise _fail("fitting intents needs the 'train' extra (onnx is missing)") from exc
    from groundswell.enrichment.model.artifacts import ModelFilesMissingError
    from groundswell.training.datasets import DEFAULT_DATA_DIR, DataError
    from groundswell.training.intent_head import refit_intents

    try:
        metadata = refit_intents(
            model_dir, data_dir or DEFAULT_DATA_DIR, typer.echo, lower_layer=lower_layer
        )
    except (ModelFilesMissingError, DataError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"intent head {metadata['intent_version']} written to {model_dir}")


@app.command()
def info(
    model_dir: Annotated[
        Path | None, typer.Option(help="Model folder; the shipped model by default.")
    ] = None,
) -> None:
    """The model version in use and the figures it was shipped with."""
    from groundswell.enrichment.model.artifacts import ModelFilesMissingError, read_metadata
    from groundswell.settings import get_settings

    try:
        metadata = read_metadata(str(model_dir) if model_dir else None)
    except ModelFilesMissingError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"sentiment mode: {get_settings().sentiment}")
    if model_dir is None:
        store = _store()
        active = store.card(store.active())
        typer.echo(f"active in the store ({store.root}): v{active.number} {active.version}")
    typer.echo(f"model version: {metadata.get('version')}  (base {metadata.get('base_model')})")
    typer.echo(json.dumps(metadata.get("metrics", {}), indent=2, sort_keys=True))


@app.command()
def evaluate(
    model_dir: Annotated[
        Path | None, typer.Option(help="Model folder; the shipped model by default.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding semeval2017/ and airline/.")
    ] = None,
) -> None:
    """Score the model on the held-out test splits and the hand-labelled intent sample."""
    from groundswell.enrichment.model.artifacts import ModelFilesMissingError
    from groundswell.training.datasets import DEFAULT_DATA_DIR, DataError
    from groundswell.training.evaluate import evaluate_model

    try:
        results = evaluate_model(
            str(model_dir) if model_dir else None, data_dir or DEFAULT_DATA_DIR, typer.echo
        )
    except (ModelFilesMissingError, DataError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(json.dumps(results["intents"], indent=2))


def _store() -> ModelStoreType:
    from groundswell.enrichment.model.store import ModelStore
    from groundswell.settings import get_settings

    return ModelStore(get_settings().model_store_dir)


@app.command()
def retrain(
    candidate_dir: Annotated[
        Path | None,
        typer.Option(help="Judge this already-trained model folder instead of training one."),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding semeval2017/ and airline/.")
    ] = None,
    epochs: Annotated[float, typer.Option(min=0.05, max=20.0)] = 2.0,
    trainable_layers: Annotated[int, typer.Option(min=1, max=6)] = 6,
    seed: Annotated[int, typer.Option()] = 13,
    promote: Annotated[
        bool, typer.Option(help="Activate the candidate when it passes the gate.")
    ] = True,
    fit_intents: Annotated[
        bool,
        typer.Option(
            help="Refit the candidate's intent head (as fit-intents does, plus agents' "
            "intent corrections) before judging it."
        ),
    ] = True,
) -> None:
    """Train a candidate with agents' corrections, gate it against the active model, promote.

    The candidate gets its own intent head, stored with it. Running workers pick up a
    promoted model within seconds, without a restart.
    """
    from groundswell.crm.corrections import load_correction_examples
    from groundswell.enrichment.model.store import ModelStoreError
    from groundswell.settings import get_settings
    from groundswell.training.datasets import DEFAULT_DATA_DIR, DataError
    from groundswell.training.retrain import retrain as run_retrain
    from groundswell.training.retrain import torch_trainer

    corrections = load_correction_examples(get_settings().database_url)
    trainer = None
    if candidate_dir is None:
        try:
            trainer = torch_trainer(
                data_dir or DEFAULT_DATA_DIR,
                epochs=epochs,
                trainable_layers=trainable_layers,
                seed=seed,
                log=typer.echo,
            )
        except ImportError as exc:
            raise _fail(
                f"training needs the 'train' extra ({exc.name} is missing); "
                "or judge a model trained elsewhere with --candidate-dir"
            ) from exc
    try:
        report = run_retrain(
            _store(),
            corrections=corrections,
            trainer=trainer,
            candidate_dir=candidate_dir,
            data_dir=data_dir or DEFAULT_DATA_DIR,
            promote=promote,
            fit_intents=fit_intents,
            log=typer.echo,
        )
    except (ModelStoreError, DataError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    head = report.gate.get("intent_head", {})
    if head.get("refit"):
        typer.echo(
            f"intent head refit ({head['intent_version']}, "
            f"{head['corrections']} intent corrections added)"
        )
    else:
        typer.echo(f"intent head kept from the candidate ({head.get('reason')})")
    typer.echo("gate:")
    for rule in report.gate["rules"]:
        mark = "ok  " if rule["passed"] else "FAIL"
        typer.echo(
            f"  {mark} {rule['set']:22} {rule['metric']:28} candidate {rule['candidate']:.4f}"
            f"  active {rule['active']:.4f}  (may drop {rule['allowed_drop']:.3f})"
        )
    verdict = "promoted: now in use" if report.promoted else "kept, not promoted"
    if report.gate["passed"] and not report.promoted:
        verdict = "passed the gate; not promoted (--no-promote)"
    typer.echo(f"model version {report.number} ({report.version}): {verdict}")


@app.command()
def versions() -> None:
    """Every model version in the store with its figures; the active one is marked."""
    for card in _store().cards():
        mark = "*" if card.active else " "
        gate = card.gate.get("passed")
        verdict = "shipped" if gate is None else ("gate passed" if gate else "gate failed")
        typer.echo(f"{mark} v{card.number}  {card.version}  {card.created_at or '-'}  {verdict}")
        for name, pair in card.figures.items():
            scores = pair.get("candidate", pair) if isinstance(pair, dict) else {}
            shown = ", ".join(
                f"{k} {v:.4f}"
                for k, v in scores.items()
                if k in ("macro_recall", "accuracy", "ece", "intent_micro_f1")
                and isinstance(v, float)
            )
            if shown:
                typer.echo(f"      {name}: {shown}")


@app.command()
def activate(
    number: Annotated[int, typer.Argument(min=1, help="The version to use (see `versions`).")],
    reason: Annotated[str, typer.Option(help="Recorded in the store's history.")] = "rollback",
) -> None:
    """Use another model version (a rollback, or a candidate promoted by hand)."""
    from groundswell.enrichment.model.store import ModelStoreError

    store = _store()
    previous = store.active()
    try:
        store.activate(number, reason=f"cli: {reason}")
    except ModelStoreError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"model version {number} active (was {previous}); workers switch within seconds")
