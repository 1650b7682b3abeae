namespace Dpr.Actors.Tests.Journal;

/// <summary>
/// A test that starts its own PostgreSQL cluster. It runs by default and fails when the server
/// binaries are missing; DPR_SKIP_POSTGRES=1 reports it as skipped instead, so it never passes
/// without having run.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("DPR_SKIP_POSTGRES") == "1")
        {
            Skip = "DPR_SKIP_POSTGRES=1";
        }
    }
}
