def test_rep_claims_an_item_and_sees_it_on_my_work(users, make_item, client_for):
    item = make_item()
    client = client_for(users["rep"])
    response = client.post(f"/work/{item.pk}/claim")
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert item.title in page.content.decode()
