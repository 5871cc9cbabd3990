"""Dashboard pages (Streamlit); `app.py` routes to them with st.navigation. See README.md."""
