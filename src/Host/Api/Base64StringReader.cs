using System.Buffers;
using System.Buffers.Text;

namespace Dpr.Host.Api;

/// <summary>
/// One JSON string value read from its raw bytes as they arrive (from after its opening quote to its
/// closing one), however long, into a <see cref="DecodedTensor"/>: escapes undone (<c>\u002B</c> is how
/// System.Text.Json writes <c>+</c>), whitespace dropped and the base64 decoded 64 KiB of text at a
/// time, accepting exactly what <see cref="Convert.FromBase64String"/> accepts.
/// </summary>
internal sealed class Base64StringReader : IDisposable
{
    /// <summary>Base64 text decoded at once: a multiple of 4, so only the last block can be padded.</summary>
    private const int TextBytes = 64 * 1024;
    private static readonly SearchValues<byte> Base64Text = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="u8);
    private readonly string _field;
    private readonly DecodedTensor _tensor;
    private readonly byte[] _text = ArrayPool<byte>.Shared.Rent(TextBytes);
    private readonly byte[] _bytes = ArrayPool<byte>.Shared.Rent(TextBytes / 4 * 3);
    private int _count;
    /// <summary>Characters of the string so far (escapes counted as one), for the error.</summary>
    private long _position;

    /// <param name="field">The JSON path of the string (<c>input.data</c>), named by its errors.</param>
    /// <param name="tensor">Where the decoded bytes go.</param>
    public Base64StringReader(string field, DecodedTensor tensor)
    {
        _field = field;
        _tensor = tensor;
    }

    /// <summary>
    /// Reads what it can of <paramref name="raw"/> and returns how many bytes it used; <paramref name="closed"/>
    /// once the closing quote was. An escape cut off at the end is left for the next call, with more bytes.
    /// </summary>
    /// <exception cref="ApiProblem">400 naming the field: not valid JSON, or not valid base64.</exception>
    public int Read(ReadOnlySpan<byte> raw, out bool closed)
    {
        closed = false;
        var i = 0;
        while (i < raw.Length)
        {
            var rest = raw[i..];
            var run = rest.IndexOfAnyExcept(Base64Text);
            if (run < 0)
            {
                run = rest.Length;
            }
            Append(rest[..run]);
            i += run;
            _position += run;
            if (i == raw.Length)
            {
                break;
            }
            var b = raw[i];
            if (b == '"')
            {
                closed = true;
                i++;
                Finish();
                break;
            }
            if (b == '\\')
            {
                var escape = Unescape(raw[i..], out var length);
                if (length == 0)
                {
                    break;
                }
                i += length;
                Character(escape);
                continue;
            }
            if (b < 0x20)
            {
                throw NotJson($"a control character (0x{b:X2}) in a string must be escaped");
            }
            Character(b);
            i++;
        }
        return i;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_text);
        ArrayPool<byte>.Shared.Return(_bytes);
    }

    /// <summary>The character an escape stands for; <paramref name="length"/> 0 when <paramref name="raw"/> holds only part of it.</summary>
    private int Unescape(ReadOnlySpan<byte> raw, out int length)
    {
        length = 0;
        if (raw.Length < 2)
        {
            return 0;
        }
        if (raw[1] != 'u')
        {
            length = 2;
            return raw[1] switch
            {
                (byte)'"' => '"',
                (byte)'\\' => '\\',
                (byte)'/' => '/',
                (byte)'b' => '\b',
                (byte)'f' => '\f',
                (byte)'n' => '\n',
                (byte)'r' => '\r',
                (byte)'t' => '\t',
                _ => throw NotJson($"'\\{(char)raw[1]}' is not a JSON escape"),
            };
        }
        if (raw.Length < 6)
        {
            return 0;
        }
        if (!Utf8Parser.TryParse(raw.Slice(2, 4), out ushort value, out var digits, 'X') || digits != 4)
        {
            throw NotJson("\\u must be followed by four hexadecimal digits");
        }
        length = 6;
        return value;
    }

    /// <summary>A character other than plain base64 text: whitespace is dropped as <see cref="Convert.FromBase64String"/> drops it.</summary>
    private void Character(int c)
    {
        _position++;
        if (c is ' ' or '\t' or '\r' or '\n')
        {
            return;
        }
        if (c < 0x80 && Base64Text.Contains((byte)c))
        {
            Append([(byte)c]);
            return;
        }
        throw NotBase64($"'{(c is >= 0x20 and < 0x7F ? ((char)c).ToString() : $"\\u{c:X4}")}' at character {_position}");
    }

    private void Append(ReadOnlySpan<byte> text)
    {
        while (!text.IsEmpty)
        {
            var take = Math.Min(text.Length, TextBytes - _count);
            text[..take].CopyTo(_text.AsSpan(_count));
            _count += take;
            text = text[take..];
            if (_count == TextBytes)
            {
                // All but the last block: whether that one is padded is known only at the end.
                Decode(TextBytes - 4);
            }
        }
    }

    /// <summary>Decodes the first <paramref name="length"/> characters waiting (whole unpadded blocks) and keeps the rest.</summary>
    private void Decode(int length)
    {
        if (Base64.DecodeFromUtf8(_text.AsSpan(0, length), _bytes, out var used, out var written, isFinalBlock: false) == OperationStatus.InvalidData || used != length)
        {
            throw NotBase64($"padding or a character out of place before character {_position}");
        }
        _tensor.Write(_bytes.AsSpan(0, written));
        _text.AsSpan(length, _count - length).CopyTo(_text);
        _count -= length;
    }

    /// <summary>The end of the string: the last block, padded or not, decoded as <see cref="Convert.FromBase64String"/> does (unused bits ignored).</summary>
    private void Finish()
    {
        if (_count % 4 != 0)
        {
            throw NotBase64("its length (without whitespace) is not a multiple of 4");
        }
        if (_count == 0)
        {
            return;
        }
        Decode(_count - 4);
        Span<char> block = stackalloc char[4];
        for (var k = 0; k < 4; k++)
        {
            block[k] = (char)_text[k];
        }
        Span<byte> last = stackalloc byte[3];
        if (!Convert.TryFromBase64Chars(block, last, out var written))
        {
            throw NotBase64("its last block is not valid");
        }
        _tensor.Write(last[..written]);
        _count = 0;
    }

    private ApiProblem NotBase64(string why) => ApiProblem.BadInput(_field, $"not valid base64: {why}");

    private ApiProblem NotJson(string why) => ApiProblem.BadInput(_field, $"not valid JSON at $.{_field}: {why}");
}
