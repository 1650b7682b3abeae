namespace Dpr.Fabric.Sem;

/// <summary>
/// A flag change report, <c>FC xx</c> (PG036 Table 3-3 "Flag Change Report Decoding": 00 correctable
/// non-essential, 20 uncorrectable non-essential, 40 correctable essential, 60 uncorrectable essential).
/// </summary>
public sealed record SemFlagsChanged(int Line, bool Uncorrectable, bool Essential) : SemEvent(Line);
