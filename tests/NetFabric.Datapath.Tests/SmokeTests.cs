using FsCheck.Xunit;
namespace NetFabric.Datapath.Tests;
public class SmokeTests
{
    [Fact] public void One() => Assert.Equal(2, 1 + 1);
    [Property] public bool Prop(int x) => x + 0 == x;
}
