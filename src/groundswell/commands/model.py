"""``groundswell model …``: train, inspect and evaluate the sentiment-and-intent model.

``train`` needs the ``train`` extra (PyTorch, transformers); ``info`` and ``evaluate``
run on the shipped ONNX files with the ordinary install.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The sentiment and intent model.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


@app.command()
def train(
    output: Annotated[
        Path, typer.Option(help="Folder for the model files (then copy them into the package).")
    ] = Path("build/model"),
    seed: Annotated[int, typer.Option(help="Seed for batching, dropout and head init.")] = 13,
    epochs: Annotated[float, typer.Option(min=0.05, max=20.0, help="Passes over the data.")] = 2.0,
    version: Annotated[str, typer.Option(help="Version string stored with every result.")] = (
        "minilm-sent-v1"
    ),
    trainable_layers: Annotated[
        int, typer.Option(min=1, max=6, help="Top encoder layers fine-tuned; lower ones frozen.")
    ] = 2,
    learning_rate: Annotated[float, typer.Option(min=1e-6, max=1e-2)] = 1e-4,
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

    extra = []
    if include_corrections:
        from groundswell.crm.corrections import load_correction_examples
        from groundswell.settings import get_settings

        extra = load_correction_examples(get_settings().database_url)
        typer.echo(f"{len(extra)} corrected posts added to the training set")
    config = TrainConfig(
        seed=seed,
        epochs=epochs,
        version=version,
        trainable_layers=trainable_layers,
        learning_rate=learning_rate,
    )
    try:
        metadata = run_training(
            output, config=config, extra=extra, data_dir=data_dir or DEFAULT_DATA_DIR
        )
    except (DataError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"model {metadata['version']} written to {output}")


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
