using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Sem;

/// <summary>
/// One configuration bit the controller found upset, from its correction report, with the
/// classification that followed. <see cref="Frame"/> is null when the controller could not locate the
/// error; <see cref="Word"/> (0..100) and <see cref="Bit"/> (0..31) are null when it located the frame
/// but not the bit.
/// </summary>
public sealed record UpsetReport(
    int Line,
    FrameAddress? Frame,
    int? LinearFrame,
    int? Word,
    int? Bit,
    UpsetOutcome Outcome,
    bool Essential) : SemEvent(Line)
{
    public bool Corrected => Outcome == UpsetOutcome.Corrected;
}
