namespace Dpr.TestKit;

public enum SwapStep
{
    Started,
    Completed,
    Failed,
}
