namespace Dpr.Host.Cli;

/// <summary>Exit codes of the bitstream verbs, for scripts (README, docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int UsageOrFile = 1;
    public const int Malformed = 2;
    public const int CrcMismatch = 3;
    public const int OutsidePartition = 4;
    public const int WrongDevice = 5;

    /// <summary>
    /// <c>dpr serve</c>: the journal's database was not reachable within <c>Dpr:StartupTimeoutSeconds</c>.
    /// EX_UNAVAILABLE of sysexits.h, which service managers and scripts know.
    /// </summary>
    public const int Unavailable = 69;
}
