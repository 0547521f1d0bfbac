using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using CsvHelper;
using Handoff.Core.Sources;

namespace Handoff.Connectors.Csv;

/// <summary>
/// Reads the records of a CSV file or drop folder as a stream (CsvHelper does the parsing).
/// </summary>
/// <remarks>
/// <para><b>What counts as CSV.</b> A file is refused as a whole with a
/// <see cref="SourceFormatException"/> naming it when:
/// it is empty (no bytes, or only a byte order mark and whitespace);
/// its first KiB holds a NUL byte (binary content: a spreadsheet, an archive, UTF-16 text);
/// its first line is empty, longer than 64 KiB, or opens a quote it does not close (the header
/// must be one physical line);
/// a header name is empty or appears twice (compared trimmed, ignoring case);
/// a header name looks like data rather than a name (a number, a date or an e-mail address), so the
/// file most likely has no header row;
/// or the header has a single column whose name is not a plain name (letters, digits, space,
/// <c>_ - .</c>, at most 64 characters), so the content is most likely not delimited at all.</para>
/// <para><b>Rows that cannot be read</b> are returned as <see cref="UnreadableRow"/> and reading goes
/// on: a stray quote, text after a closing quote, a wrong number of fields. A broken quote that
/// swallows line breaks (a quote never closed, or closed lines later) would hide the good rows after
/// it, so only its first line is set aside and reading resumes on the next line. A quoted value with
/// line breaks that is otherwise well formed but has the wrong number of fields is set aside whole.</para>
/// <para><b>Values</b>: header names are trimmed; an empty value is <c>null</c>; other values are
/// kept as they are. <see cref="SourceItem.Line"/> is the 1-based line where the record starts.</para>
/// </remarks>
public sealed class CsvSourceReader(CsvSourceOptions options) : ISourceReader
{
    private const int SniffBytes = 1024;
    private const int MaxHeaderBytes = 64 * 1024;

    // An unclosed quote makes the parser buffer the rest of the file; beyond this size the record
    // is treated as broken instead (see the remarks).
    private const int MaxRecordBytes = 1024 * 1024;

    private static readonly char[] Candidates = [',', ';', '\t'];

    static CsvSourceReader() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceItem> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var encoding = ResolveEncoding(options.Encoding);
        var delimiter = ResolveDelimiter(options.Delimiter);
        foreach (var (path, name) in ListFiles())
        {
            await foreach (var item in ReadFileAsync(path, name, encoding, delimiter, cancellationToken))
                yield return item;
        }
    }

    /// <summary>The files to read with the name each is reported under, in ordinal name order.</summary>
    private IEnumerable<(string Path, string Name)> ListFiles()
    {
        if (File.Exists(options.Path))
            return [(options.Path, Path.GetFileName(options.Path))];
        if (!Directory.Exists(options.Path))
            throw new DirectoryNotFoundException($"CSV source '{options.Path}' is neither a file nor a folder.");
        return Directory.EnumerateFiles(options.Path, options.Pattern, SearchOption.TopDirectoryOnly)
            .Select(p => (Path: p, Name: Path.GetRelativePath(options.Path, p)))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The encoding to decode with; <c>null</c> means UTF-8 (a byte order mark is honoured).</summary>
    internal static Encoding? ResolveEncoding(string? name) =>
        name?.Trim().ToLowerInvariant() switch
        {
            null or "" or "utf-8" or "utf8" or "utf-8-bom" or "utf-8-sig" => null,
            "windows-1252" or "cp1252" or "cp-1252" => Encoding.GetEncoding(1252),
            _ => throw new SourceFormatException(
                $"Unknown CSV encoding '{name}': use utf-8 or windows-1252 (cp1252)."),
        };

    internal static char? ResolveDelimiter(string? value) =>
        value switch
        {
            null or "" => null,
            "," => ',',
            ";" => ';',
            "\t" or "\\t" => '\t',
            _ when value.Equals("tab", StringComparison.OrdinalIgnoreCase) => '\t',
            _ => throw new SourceFormatException(
                $"Unsupported CSV delimiter '{value}': use ',', ';' or tab (\\t)."),
        };

    private static async IAsyncEnumerable<SourceItem> ReadFileAsync(
        string path, string name, Encoding? encoding, char? delimiter,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var file = OpenRead(path);
        var header = await ReadHeaderLineAsync(file, name, encoding, cancellationToken);
        var separator = delimiter ?? DetectDelimiter(header.Text);

        var pending = new List<CsvMalformedRecord>();
        var readerOptions = CsvReaderOptions.Default with
        {
            Separator = separator,
            HasHeader = true,
            Mode = CsvMode.Rfc4180,
            AllowLineBreaksInQuotes = true,
            SkipEmptyLines = true,
            TrackLineNumbers = true,
            MaxRecordSize = MaxRecordBytes,
            MalformedData = CsvMalformedDataHandling.Skip,
            FieldCountMismatch = CsvFieldCountHandling.Skip,
            MissingField = CsvMissingFieldHandling.ReturnEmpty,
            DetectSeparatorHint = false,
            Encoding = header.Encoding,
            FormatProvider = CultureInfo.InvariantCulture,
            OnMalformedRecord = pending.Add,
        };

        file.Position = 0;
        var reader = CsvReader.Create(file, readerOptions, leaveOpen: true);
        string[] names;
        try
        {
            await reader.ReadHeaderAsync(cancellationToken);
            names = reader.Headers.Select(h => h.Trim()).ToArray();
        }
        catch (CsvFormatException ex)
        {
            await reader.DisposeAsync();
            throw new SourceFormatException($"{name}: the header row cannot be read ({ex.Message}).");
        }
        CheckHeader(name, names);

        // Lines reported by a reader restarted mid-file are shifted by this much (see Restart).
        var lineShift = 0;
        var locator = new LineLocator(path);
        try
        {
            while (true)
            {
                bool hasRecord;
                CsvFormatException? failure = null;
                try
                {
                    hasRecord = await reader.ReadAsync(cancellationToken);
                }
                catch (CsvFormatException ex)
                {
                    hasRecord = false;
                    failure = ex;
                }

                var recordLine = hasRecord ? (int)reader.LineNumber + lineShift : int.MaxValue;
                var restartAt = 0;
                foreach (var bad in pending.OrderBy(p => p.LineNumber))
                {
                    var line = (int)bad.LineNumber + lineShift;
                    if (line > recordLine || !bad.Skipped)
                        continue;
                    var raw = bad.RawRecord;
                    var firstBreak = raw.AsSpan().IndexOfAny('\r', '\n');
                    if (bad.Reason != CsvMalformedReason.FieldCountMismatch && firstBreak >= 0)
                    {
                        yield return new UnreadableRow(name, line,
                            $"{Describe(bad.Reason)}; the quote runs over several lines, so only this line is set aside",
                            raw[..firstBreak]);
                        restartAt = line + 1;
                        break;
                    }
                    yield return new UnreadableRow(name, line, Describe(bad, names.Length, separator), raw);
                }
                pending.Clear();

                if (restartAt == 0 && failure is not null)
                {
                    // The parser gave up on a record (typically an unclosed quote longer than
                    // MaxRecordBytes): set its first line aside and go on after it.
                    var line = failure.LineNumber > 0 ? (int)failure.LineNumber + lineShift : recordLine;
                    if (line == int.MaxValue)
                        throw new SourceFormatException($"{name}: {failure.Message}");
                    yield return new UnreadableRow(name, line, $"cannot be read: {failure.Message}",
                        await locator.ReadLineAsync(line, header.Encoding, cancellationToken));
                    restartAt = line + 1;
                }

                if (restartAt > 0)
                {
                    await reader.DisposeAsync();
                    var stream = await locator.OpenAtLineAsync(restartAt, header.Bytes, cancellationToken);
                    reader = CsvReader.Create(stream, readerOptions, leaveOpen: false);
                    await reader.ReadHeaderAsync(cancellationToken);
                    // The restarted input is the header line followed by line restartAt, which the
                    // reader calls line 2.
                    lineShift = restartAt - 2;
                    continue;
                }

                if (!hasRecord)
                    break;

                var values = new Dictionary<string, string?>(names.Length, StringComparer.Ordinal);
                for (var i = 0; i < names.Length; i++)
                    values[names[i]] = reader.IsEmpty(i) ? null : reader.GetString(i);
                yield return new NativeRecord(name, recordLine, values);
            }
        }
        finally
        {
            await reader.DisposeAsync();
            await locator.DisposeAsync();
        }
    }

    private static FileStream OpenRead(string path) =>
        new(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        });

    /// <summary>The raw first line of a file (with its byte order mark and line break, so a reader
    /// restarted mid-file can be given the same header) and its decoded text.</summary>
    private sealed record HeaderLine(byte[] Bytes, string Text, Encoding? Encoding);

    private static async Task<HeaderLine> ReadHeaderLineAsync(
        FileStream file, string name, Encoding? encoding, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeaderBytes];
        var length = 0;
        int read;
        while (length < buffer.Length
            && (read = await file.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
            if (length >= SniffBytes && buffer.AsSpan(0, length).IndexOfAny((byte)'\r', (byte)'\n') >= 0)
                break;
        }
        var content = buffer.AsSpan(0, length);

        // Binary files (a spreadsheet saved as .xlsx, a zip) show NULs before their first line break; a
        // NUL further down is one bad row, which is quarantined with its line like any other.
        var firstLine = content.IndexOf((byte)'\n');
        var nul = content[..Math.Min(firstLine >= 0 ? firstLine : length, SniffBytes)].IndexOf((byte)0);
        if (nul >= 0)
            throw new SourceFormatException($"{name} is not a CSV file: binary content (a NUL byte at offset {nul}).");

        var bom = content.StartsWith("\uFEFF"u8) ? 3 : 0;
        if (bom > 0)
            encoding = null; // a UTF-8 byte order mark says what the file is, whatever was configured
        if (content[bom..].Trim(" \t\r\n"u8).IsEmpty && file.Length <= length)
            throw new SourceFormatException($"{name} is empty: a CSV file needs at least a header row.");

        var end = content[bom..].IndexOfAny((byte)'\r', (byte)'\n');
        if (end < 0 && file.Length > length)
            throw new SourceFormatException($"{name} is not a CSV file: its first line is longer than {MaxHeaderBytes / 1024} KiB.");
        var lineEnd = end < 0 ? length : bom + end;
        var afterBreak = lineEnd;
        if (afterBreak < length && content[afterBreak] == '\r')
            afterBreak++;
        if (afterBreak < length && content[afterBreak] == '\n' && (afterBreak == lineEnd || content[lineEnd] == '\r'))
            afterBreak++;

        var text = (encoding ?? Encoding.UTF8).GetString(content[bom..lineEnd]);
        if (string.IsNullOrWhiteSpace(text))
            throw new SourceFormatException($"{name} has no header row: its first line is empty.");
        if (text.Count(c => c == '"') % 2 != 0)
            throw new SourceFormatException($"{name}: the header row opens a quote it does not close (the header must be one line).");

        var bytes = content[..afterBreak].ToArray();
        if (afterBreak == lineEnd)
            bytes = [.. bytes, (byte)'\n']; // header-only file without a final line break
        return new HeaderLine(bytes, text, encoding);
    }

    /// <summary>The candidate that occurs most often outside quotes in the header line; a comma when
    /// none does.</summary>
    internal static char DetectDelimiter(string headerLine)
    {
        Span<int> counts = stackalloc int[Candidates.Length];
        var quoted = false;
        foreach (var c in headerLine)
        {
            if (c == '"')
                quoted = !quoted;
            else if (!quoted)
            {
                var i = Array.IndexOf(Candidates, c);
                if (i >= 0)
                    counts[i]++;
            }
        }
        var best = 0;
        for (var i = 1; i < counts.Length; i++)
        {
            if (counts[i] > counts[best])
                best = i;
        }
        return Candidates[best];
    }

    private static void CheckHeader(string file, string[] names)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (names[i].Length == 0)
                throw new SourceFormatException($"{file}: header column {i + 1} has no name.");
        }
        var duplicate = names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new SourceFormatException($"{file}: the header names column '{duplicate.Key}' more than once.");
        var data = names.FirstOrDefault(LooksLikeData);
        if (data is not null)
            throw new SourceFormatException($"{file} has no header row: its first line holds data ('{Shorten(data)}'), not column names.");
        if (names.Length == 1 && !LooksLikeName(names[0]))
            throw new SourceFormatException($"{file} is not delimited text: its first line is a single column '{Shorten(names[0])}' (no ',', ';' or tab).");
    }

    private static bool LooksLikeData(string name) =>
        name.Contains('@')
        || decimal.TryParse(name, NumberStyles.Number, CultureInfo.InvariantCulture, out _)
        || DateTime.TryParse(name, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    private static bool LooksLikeName(string name) =>
        name.Length <= 64
        && (char.IsLetterOrDigit(name[0]) || name[0] == '_')
        && name.All(c => char.IsLetterOrDigit(c) || c is ' ' or '_' or '-' or '.');

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static string Describe(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.StrayQuote => "a quote inside an unquoted field",
        CsvMalformedReason.TextAfterClosingQuote => "text after the closing quote of a quoted field",
        CsvMalformedReason.UnterminatedQuote => "a quoted field that is never closed",
        CsvMalformedReason.LineBreakInQuotes => "a line break inside a quoted field",
        CsvMalformedReason.FieldCountMismatch => "the wrong number of fields",
        _ => reason.ToString(),
    };

    private static string Describe(CsvMalformedRecord bad, int expected, char separator)
    {
        if (bad.Reason != CsvMalformedReason.FieldCountMismatch)
            return Describe(bad.Reason);
        var found = CountFields(bad.RawRecord, separator);
        return $"{found} fields where the header has {expected}";
    }

    private static int CountFields(string raw, char separator)
    {
        using var reader = CsvReader.FromText(raw, CsvReaderOptions.Default with
        {
            Separator = separator,
            HasHeader = false,
            AllowLineBreaksInQuotes = true,
        });
        return reader.Read() ? reader.FieldCount : 0;
    }

    /// <summary>
    /// Finds where a line starts in a file, for restarting after a broken quote. It only moves
    /// forward from where it last stopped, so all restarts together read the file once more at most.
    /// Line breaks are counted as CsvHelper counts them: CR, LF and CR LF each once.
    /// </summary>
    private sealed class LineLocator(string path) : IAsyncDisposable
    {
        private FileStream? _file;
        private int _line = 1;
        private long _offset;

        public async Task<Stream> OpenAtLineAsync(int line, byte[] header, CancellationToken cancellationToken)
        {
            await SeekAsync(line, cancellationToken);
            var rest = OpenRead(path);
            rest.Position = _offset;
            return new PrefixedStream(header, rest);
        }

        public async Task<string> ReadLineAsync(int line, Encoding? encoding, CancellationToken cancellationToken)
        {
            await SeekAsync(line, cancellationToken);
            var file = _file!;
            file.Position = _offset;
            var buffer = new byte[4096];
            var length = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            var end = buffer.AsSpan(0, length).IndexOfAny((byte)'\r', (byte)'\n');
            return (encoding ?? Encoding.UTF8).GetString(buffer, 0, end < 0 ? length : end);
        }

        private async Task SeekAsync(int line, CancellationToken cancellationToken)
        {
            if (line < _line)
                throw new InvalidOperationException("The line locator only moves forward.");
            if (line == _line)
                return;
            _file ??= OpenRead(path);
            _file.Position = _offset;
            var buffer = new byte[64 * 1024];
            var bufferStart = _offset;
            var afterCr = false;
            while (true)
            {
                var length = await _file.ReadAsync(buffer, cancellationToken);
                if (length == 0)
                {
                    if (_line < line)
                        _offset = bufferStart; // past the end of the file
                    return;
                }
                var i = 0;
                if (afterCr)
                {
                    // The CR that ended the previous buffer may be followed by the LF of the same break.
                    afterCr = false;
                    if (buffer[0] == '\n')
                    {
                        _offset = bufferStart + 1;
                        i = 1;
                    }
                    if (_line == line)
                        return;
                }
                while (i < length)
                {
                    var next = buffer.AsSpan(i, length - i).IndexOfAny((byte)'\r', (byte)'\n');
                    if (next < 0)
                        break;
                    var at = i + next;
                    _line++;
                    i = at + 1;
                    _offset = bufferStart + i;
                    if (buffer[at] == '\r')
                    {
                        if (i == length)
                        {
                            afterCr = true;
                            break;
                        }
                        if (buffer[i] == '\n')
                        {
                            i++;
                            _offset++;
                        }
                    }
                    if (_line == line && !afterCr)
                        return;
                }
                bufferStart += length;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_file is not null)
                await _file.DisposeAsync();
        }
    }

    /// <summary>A read-only stream of some bytes (the header line) followed by another stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position < prefix.Length)
            {
                var n = Math.Min(buffer.Length, prefix.Length - _position);
                prefix.AsSpan(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }
            return rest.Read(buffer);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position < prefix.Length)
                return ValueTask.FromResult(Read(buffer.Span));
            return rest.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                rest.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await rest.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
