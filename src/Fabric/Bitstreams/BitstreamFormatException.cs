namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// The input is not a well-formed configuration stream. <see cref="Offset"/> is the byte offset in
/// the file where the problem was found; the message says what was expected there.
/// </summary>
public sealed class BitstreamFormatException : Exception
{
    public BitstreamFormatException(long offset, string message)
        : base($"{message} (at byte offset {offset})")
    {
        Offset = offset;
        Problem = message;
    }

    public long Offset { get; }

    /// <summary>The message without the offset.</summary>
    public string Problem { get; }
}
