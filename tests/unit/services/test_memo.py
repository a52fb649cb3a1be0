from roost.services.memo import BoundedMemo


def test_a_value_is_computed_once_until_the_memo_is_full() -> None:
    computed: list[int] = []

    def square(n: int) -> int:
        computed.append(n)
        return n * n

    memo = BoundedMemo(square, size=2)
    assert [memo[3], memo[3], memo[4], memo[4]] == [9, 9, 16, 16]
    assert computed == [3, 4]
    assert memo[5] == 25  # full: forgotten at once, then 5 kept
    assert dict(memo) == {5: 25}
    assert memo[3] == 9
    assert computed == [3, 4, 5, 3]
