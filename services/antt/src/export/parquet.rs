//! Parquet through the Arrow writer of the `parquet` crate: one record batch per chunk
//! the server sends, Snappy-compressed (what pandas, DuckDB and Polars expect by
//! default). Text is `UTF8`, counts `UINT_32`, years `INT_32`, days `DATE`; text and
//! days may be null, the rest never are.

use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Date32Array, Int32Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field as ArrowField, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use super::columns::{Field, Get};

pub struct ParquetSink<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
}

/// The Arrow schema of `fields`, in their order.
pub fn schema<R>(fields: &[Field<R>]) -> SchemaRef {
    let columns: Vec<ArrowField> = fields
        .iter()
        .map(|field| {
            let (data_type, nullable) = match field.get {
                Get::Text(_) => (DataType::Utf8, true),
                Get::UInt32(_) => (DataType::UInt32, false),
                Get::Int32(_) => (DataType::Int32, false),
                Get::Bool(_) => (DataType::Boolean, false),
                Get::Date(_) => (DataType::Date32, true),
            };
            ArrowField::new(field.name, data_type, nullable)
        })
        .collect();
    Arc::new(Schema::new(columns))
}

impl<W: Write + Send> ParquetSink<W> {
    pub fn new<R>(out: W, fields: &[Field<R>]) -> Result<Self, ParquetError> {
        let schema = schema(fields);
        let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
        let writer = ArrowWriter::try_new(out, Arc::clone(&schema), Some(properties))?;
        Ok(ParquetSink { writer, schema })
    }

    pub fn write<R>(&mut self, fields: &[Field<R>], rows: &[R]) -> Result<(), ParquetError> {
        if rows.is_empty() {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = fields.iter().map(|field| column(field, rows)).collect();
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns)?;
        self.writer.write(&batch)
    }

    /// Writes the footer and hands the output back.
    pub fn finish(self) -> Result<W, ParquetError> {
        self.writer.into_inner()
    }
}

fn column<R>(field: &Field<R>, rows: &[R]) -> ArrayRef {
    match field.get {
        Get::Text(get) => Arc::new(rows.iter().map(get).collect::<StringArray>()),
        Get::UInt32(get) => Arc::new(UInt32Array::from(rows.iter().map(get).collect::<Vec<u32>>())),
        Get::Int32(get) => Arc::new(Int32Array::from(rows.iter().map(get).collect::<Vec<i32>>())),
        Get::Bool(get) => Arc::new(BooleanArray::from(rows.iter().map(get).collect::<Vec<bool>>())),
        Get::Date(get) => Arc::new(
            rows.iter()
                .map(|row| get(row).map(|date| days_since_epoch(date.days_since_unix_epoch())))
                .collect::<Date32Array>(),
        ),
    }
}

/// A day count as Parquet's `DATE` holds it; the domain's years (1 to 9999) fit in i32.
fn days_since_epoch(days: i64) -> i32 {
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

#[cfg(test)]
mod tests {
    use antt_domain::Date;
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    struct Row {
        name: &'static str,
        year: i32,
        count: u32,
        safe: bool,
        day: Option<Date>,
    }

    const FIELDS: &[Field<Row>] = &[
        Field {
            name: "name",
            get: Get::Text(|row| (!row.name.is_empty()).then(|| row.name.to_owned())),
        },
        Field {
            name: "year",
            get: Get::Int32(|row| row.year),
        },
        Field {
            name: "count",
            get: Get::UInt32(|row| row.count),
        },
        Field {
            name: "safe",
            get: Get::Bool(|row| row.safe),
        },
        Field {
            name: "day",
            get: Get::Date(|row| row.day),
        },
    ];

    #[test]
    fn what_is_written_reads_back() {
        let rows = [
            Row {
                name: "Thôn 8",
                year: 2020,
                count: 31,
                safe: true,
                day: Date::new(2020, 3, 1).ok(),
            },
            Row {
                name: "",
                year: 2021,
                count: 0,
                safe: false,
                day: None,
            },
        ];
        let mut sink = ParquetSink::new(tempfile::tempfile().unwrap(), FIELDS).unwrap();
        sink.write(FIELDS, &rows[..1]).unwrap();
        sink.write(FIELDS, &rows[1..]).unwrap();
        sink.write(FIELDS, &[]).unwrap();
        let file = sink.finish().unwrap();

        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let names: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["name", "year", "count", "safe", "day"]);
        let (mut texts, mut years, mut counts, mut safe, mut days) = (vec![], vec![], vec![], vec![], vec![]);
        for batch in reader.build().unwrap() {
            let batch = batch.unwrap();
            texts.extend(column::<StringArray>(&batch, 0).iter().map(|v| v.map(str::to_owned)));
            years.extend(column::<Int32Array>(&batch, 1).values().iter().copied());
            counts.extend(column::<UInt32Array>(&batch, 2).values().iter().copied());
            safe.extend(column::<BooleanArray>(&batch, 3).iter());
            days.extend(column::<Date32Array>(&batch, 4).iter());
        }
        assert_eq!(texts, [Some("Thôn 8".to_owned()), None]);
        assert_eq!(years, [2020, 2021]);
        assert_eq!(counts, [31, 0]);
        assert_eq!(safe, [Some(true), Some(false)]);
        let march_1 = i32::try_from(Date::new(2020, 3, 1).unwrap().days_since_unix_epoch()).unwrap();
        assert_eq!(days, [Some(march_1), None]);
    }

    fn column<A: Array + 'static>(batch: &RecordBatch, index: usize) -> &A {
        batch.column(index).as_any().downcast_ref::<A>().unwrap()
    }
}
