namespace Dpr.Fabric.Boards;

/// <summary>Why a partial may or may not be written to a partition, in the order they are checked.</summary>
public enum VerdictOutcome
{
    Fits,
    WrongDevice,
    CrcMismatch,
    OutsidePartition,
}
