"""Data throughput on this machine: LabelImg -> TFRecord conversion, and the tf.data input
pipeline at the default model's input size (256 px tiles, batch 8).

    python tests/benchmarks/bench_data.py [--pages 24] [--batches 40]

The conversion figure is compared with a bare copy of the same files (the I/O floor)
measured in the same run; the pipeline figure with reading the same TFRecords without
decoding, augmentation or resizing.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args()

    import tensorflow as tf

    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline
    from imagine_core.plugins import get_plugins
    from imagine_plugins.datatools.convert import convert
    from imagine_plugins.datatools.demo.corpus import write_corpus
    from imagine_plugins.datatools.demo.render import PageStyle
    from imagine_plugins.tfrecord.pipeline import build_input

    work = Path(tempfile.mkdtemp(prefix="imagine-bench-"))
    try:
        start = time.perf_counter()
        write_corpus(work / "demo", PageStyle(), train=args.pages, eval_=1, seed=0, progress=False)
        generate = time.perf_counter() - start
        print(f"demo corpus generation: {args.pages / generate:8.1f} pages/s (768x1024)")

        start = time.perf_counter()
        shutil.copytree(work / "demo" / "train", work / "copy")
        copy = time.perf_counter() - start
        start = time.perf_counter()
        convert(str(work / "demo" / "train"), work / "records", "tfrecord", shards=2)
        seconds = time.perf_counter() - start
        print(
            f"LabelImg -> TFRecord:   {args.pages / seconds:8.1f} images/s "
            f"(bare file copy {args.pages / copy:.0f} images/s, ratio {copy / seconds:.3f})"
        )

        overrides = [
            "dataset=tfrecord",
            f"data_dir={work / 'records'}",
            f"train_input_reader.tf_record_input_reader.input_path=[{work}/records/train.record@2]",
        ]
        pipeline = build_pipeline(compose(overrides), get_plugins())[0]
        data, _ = build_input(pipeline, training=True)
        batch = pipeline.train_config.batch_size
        for _ in data.take(3):  # warm up
            pass
        start = time.perf_counter()
        for _ in data.take(args.batches):
            pass
        seconds = time.perf_counter() - start
        raw = tf.data.TFRecordDataset(
            [str(p) for p in sorted((work / "records").glob("train.*"))]
        ).repeat()
        start_raw = time.perf_counter()
        for _ in raw.take(args.batches * batch):
            pass
        raw_seconds = time.perf_counter() - start_raw
        rate, raw_rate = args.batches * batch / seconds, args.batches * batch / raw_seconds
        print(
            f"input pipeline:         {rate:8.1f} examples/s "
            f"(256x256 tiles, batch {batch}; raw record reading {raw_rate:.0f}/s)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
